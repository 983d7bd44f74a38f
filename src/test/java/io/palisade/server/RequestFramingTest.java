package io.palisade.server;

import static io.palisade.server.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The framing the validator decides for each request it passes on, as the proxy reads it. */
class RequestFramingTest {
    private static final ServerLimits LIMITS = new ServerLimits(8192, 1024, 100, Duration.ofMillis(300),
            Duration.ofSeconds(5), 100);

    /** Where the proxy reads it: records the framing of each head and passes everything on. */
    private static final class FramingProbe extends ChannelInboundHandlerAdapter {
        final List<RequestFraming> framings = new CopyOnWriteArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                framings.add(RequestFraming.of(request));
            }
            ctx.fireChannelRead(msg);
        }
    }

    private static List<RequestFraming> framingsOf(String raw) {
        FramingProbe proxy = new FramingProbe();
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS), proxy, new TerminalHandler());
        // Not writeInbound: it refuses to finish on a channel that a non-keep-alive request closed.
        ch.pipeline().fireChannelRead(bytes(raw));
        ch.runPendingTasks();
        ch.finishAndReleaseAll();
        return proxy.framings;
    }

    @Test
    void getWithoutBody_hasNoBody_keepsAlive_andIsOneSharedDecision() {
        List<RequestFraming> f = framingsOf("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(f).hasSize(2);
        RequestFraming first = f.get(0);
        assertThat(first.hasBody()).isFalse();
        assertThat(first.chunked()).isFalse();
        assertThat(first.contentLength()).isZero();
        assertThat(first.keepAlive()).isTrue();
        assertThat(first.http10()).isFalse();
        assertThat(first.expectsContinue()).isFalse();
        assertThat(f.get(1)).isSameAs(first);
    }

    @Test
    void contentLength_isTheDeclaredLength_leadingZerosAndAll() {
        RequestFraming f = framingsOf("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\nabcdefg").get(0);
        assertThat(f.contentLength()).isEqualTo(7);
        assertThat(f.hasBody()).isTrue();
        assertThat(f.chunked()).isFalse();
    }

    @Test
    void chunked_hasABody_ofNoDeclaredLength() {
        RequestFraming f = framingsOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .get(0);
        assertThat(f.chunked()).isTrue();
        assertThat(f.hasBody()).isTrue();
        assertThat(f.contentLength()).isEqualTo(-1);
    }

    @Test
    void http10_closesUnlessAskedToKeepAlive_andItsExpectationIsIgnored() {
        RequestFraming closing = framingsOf("POST / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\nx")
                .get(0);
        assertThat(closing.http10()).isTrue();
        assertThat(closing.keepAlive()).isFalse();
        assertThat(closing.expectsContinue()).isFalse();
        RequestFraming kept = framingsOf("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").get(0);
        assertThat(kept.http10()).isTrue();
        assertThat(kept.keepAlive()).isTrue();
    }

    @Test
    void connectionClose_onHttp11_isNotKeepAlive() {
        assertThat(framingsOf("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").get(0).keepAlive()).isFalse();
    }

    @Test
    void expectContinue_inAnyFormTheValidatorAccepts_isExpected() {
        // An empty list element is allowed (RFC 9110 §5.6.1); Netty's HttpUtil.is100ContinueExpected would say no.
        List<RequestFraming> f = framingsOf("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                + "Expect: 100-continue\r\n\r\nx"
                + "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nExpect: 100-Continue, \r\n\r\nx");
        assertThat(f).extracting(RequestFraming::expectsContinue).containsExactly(true, true);
    }

    @Test
    void requestBuiltInCode_isFramedFromItsHeaders() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/");
        r.headers().set("Content-Length", "12");
        RequestFraming f = RequestFraming.of(r);
        assertThat(f.contentLength()).isEqualTo(12);
        assertThat(f.keepAlive()).isTrue();
    }
}
