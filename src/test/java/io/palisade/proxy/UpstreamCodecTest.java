package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpstreamCodecTest {
    private final EmbeddedChannel ch = new EmbeddedChannel(new UpstreamCodec(new HttpDecoderConfig()));

    private void request(HttpMethod method) {
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
        ReferenceCountUtil.release(ch.readOutbound());
    }

    private void respond(String raw) {
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.US_ASCII));
    }

    private HttpResponse head() {
        Object msg = ch.readInbound();
        assertThat(msg).isInstanceOf(HttpResponse.class);
        return (HttpResponse) msg;
    }

    /** The body up to and including the last content. */
    private String body() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            HttpContent c = ch.readInbound();
            assertThat(c).as("more content").isNotNull();
            sb.append(c.content().toString(StandardCharsets.US_ASCII));
            boolean last = c instanceof LastHttpContent;
            c.release();
            if (last) {
                return sb.toString();
            }
        }
    }

    private static List<CharSequence> names(HttpResponse r) {
        List<CharSequence> names = new ArrayList<>();
        Iterator<Map.Entry<CharSequence, CharSequence>> it = r.headers().iteratorCharSequence();
        while (it.hasNext()) {
            names.add(it.next().getKey());
        }
        return names;
    }

    @Test
    void commonResponse_decodesAsBefore_withTheSpellingOfEachNameKept() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 2\r\nX-Custom: a\r\n\r\nok");
        HttpResponse r = head();
        assertThat(r.protocolVersion()).isSameAs(HttpVersion.HTTP_1_1);
        assertThat(r.status()).isSameAs(HttpResponseStatus.OK);
        assertThat(names(r)).map(CharSequence::toString).containsExactly("Content-Type", "content-length", "X-Custom");
        assertThat(r.headers().get("content-type")).isEqualTo("text/plain");
        assertThat(body()).isEqualTo("ok");
        ch.finishAndReleaseAll();
    }

    @Test
    void commonNames_areSharedBetweenResponses_othersAreNot() {
        request(HttpMethod.GET);
        request(HttpMethod.GET);
        String raw = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Custom: a\r\n\r\n";
        respond(raw + raw);
        List<CharSequence> first = names(head());
        body();
        List<CharSequence> second = names(head());
        body();
        assertThat(second.get(0)).isSameAs(first.get(0));
        assertThat(second.get(1)).isNotSameAs(first.get(1)).hasToString("X-Custom");
        ch.finishAndReleaseAll();
    }

    @Test
    void otherVersionsStatusesAndReasons_decodeAsNettyDoes() {
        for (int i = 0; i < 3; i++) {
            request(HttpMethod.GET);
        }
        respond("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 299 Whatever\r\nContent-Length: 0\r\n\r\n");
        HttpResponse notFound = head();
        body();
        assertThat(notFound.protocolVersion()).isSameAs(HttpVersion.HTTP_1_0);
        assertThat(notFound.status()).isSameAs(HttpResponseStatus.NOT_FOUND);
        HttpResponse fine = head();
        body();
        assertThat(fine.status().code()).isEqualTo(200);
        assertThat(fine.status().reasonPhrase()).isEqualTo("Fine");
        HttpResponse odd = head();
        body();
        assertThat(odd.status().code()).isEqualTo(299);
        assertThat(odd.status().reasonPhrase()).isEqualTo("Whatever");
        ch.finishAndReleaseAll();
    }

    @Test
    void responseToHead_hasNoBody_evenAfterAnInterimResponse_andTheNextOneIsPairedRight() {
        request(HttpMethod.HEAD);
        request(HttpMethod.GET);
        respond("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(head().status()).isSameAs(HttpResponseStatus.CONTINUE);
        assertThat(body()).isEmpty();
        assertThat(head().headers().get("content-length")).isEqualTo("10");
        assertThat(body()).isEmpty();
        head();
        assertThat(body()).isEqualTo("hi");
        ch.finishAndReleaseAll();
    }

    @Test
    void trailers_onlyAChunkedBodyGetsAMapOfItsOwn() {
        for (int i = 0; i < 3; i++) {
            request(HttpMethod.GET);
        }
        respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
                + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-Sum: 1\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        for (int i = 0; i < 3; i++) {
            head();
            HttpContent data = ch.readInbound();
            assertThat(data.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
            LastHttpContent last = data instanceof LastHttpContent l ? l : ch.readInbound();
            if (i == 1) {
                assertThat(last.trailingHeaders().get("x-sum")).isEqualTo("1");
            } else {
                assertThat(last.trailingHeaders()).isSameAs(EmptyHttpHeaders.INSTANCE);
            }
            if (last != data) {
                data.release();
            }
            last.release();
        }
        ch.finishAndReleaseAll();
    }

    @Test
    void malformedStatusLine_failsAsInNetty() {
        request(HttpMethod.GET);
        respond("HTTP/1.1 2x0 OK\r\n\r\n");
        HttpResponse r = head();
        assertThat(r.decoderResult().isFailure()).isTrue();
        ReferenceCountUtil.release(r);
        ByteBuf rest;
        while ((rest = ch.readInbound()) != null) {
            rest.release();
        }
        ch.finishAndReleaseAll();
    }

    /** WireMock's RANDOM_DATA_THEN_CLOSE: bytes with no line end, then the close. An invalid response, not a reset. */
    @Test
    void garbageWithoutALineEnd_thenClose_isAFailedHead() {
        request(HttpMethod.GET);
        respond("lskdu018973t09sylgasjkfg1][]'./.sdlv");
        Object early = ch.readInbound();
        assertThat(early).as("nothing until the close").isNull();
        ch.pipeline().fireChannelInactive();
        HttpResponse r = head();
        assertThat(r.decoderResult().isFailure()).isTrue();
        ReferenceCountUtil.release(r);
        Object after = ch.readInbound();
        assertThat(after).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void closeWithNothingSent_orMidBody_isNoHead() {
        request(HttpMethod.GET);
        ch.pipeline().fireChannelInactive();
        Object none = ch.readInbound();
        assertThat(none).as("closed before a byte: a reset, decided by the exchange").isNull();
        ch.finishAndReleaseAll();

        EmbeddedChannel mid = new EmbeddedChannel(new UpstreamCodec(new HttpDecoderConfig()));
        mid.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        ReferenceCountUtil.release(mid.readOutbound());
        mid.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab",
                StandardCharsets.US_ASCII));
        mid.pipeline().fireChannelInactive();
        List<Object> got = new ArrayList<>();
        Object msg;
        while ((msg = mid.readInbound()) != null) {
            got.add(msg);
        }
        // The head and what came of the body, no failed head after them: the exchange cuts the client's response.
        assertThat(got).first().isInstanceOf(HttpResponse.class);
        assertThat(got).noneMatch(m -> m instanceof HttpResponse r && r.decoderResult().isFailure());
        assertThat(got).noneMatch(m -> m instanceof LastHttpContent);
        got.forEach(ReferenceCountUtil::release);
        mid.finishAndReleaseAll();
    }
}
