package io.palisade.server;

import static io.palisade.server.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomePublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HeaderReadTimeoutHandlerTest {
    private static final ServerLimits LIMITS = new ServerLimits(8192, 1024, 1000, Duration.ofMillis(300),
            Duration.ofSeconds(5), 100);

    private TerminalHandler proxy = new TerminalHandler();

    /** Time is frozen before any handler schedules, so deadlines are exact. */
    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(ProtocolHandlers.codec(LIMITS), ProtocolHandlers.headerReadTimeout(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS), proxy);
        return ch;
    }

    private static void advance(EmbeddedChannel ch, long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
    }

    private static List<ParsedResponse> responses(EmbeddedChannel ch) {
        ch.runPendingTasks();
        return ParsedResponse.parse(Wire.outbound(ch));
    }

    @Test
    void slowLoris_gets408AtTheDeadlineFromTheFirstByte_andIsClosed() {
        EmbeddedChannel ch = channel();
        String head = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: abcdef";
        for (int i = 0; i < head.length() && i < 29; i++) {
            ch.writeInbound(bytes(head.substring(i, i + 1)));
            advance(ch, 10); // a byte every 10 ms: each one would reset an idle-style timer
        }
        assertThat(Wire.outbound(ch)).isEmpty();
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 10);
        List<ParsedResponse> rs = responses(ch);
        assertThat(rs).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.error()).isEqualTo("request_timeout");
            assertThat(r.headers().get("connection")).isEqualTo("close");
        });
        assertThat(ch.isOpen()).isFalse();
        assertThat(proxy.seen).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void slowHead408_endsInOneOutcome_timedFromTheFirstByteOfTheHead() {
        List<Outcome> outcomes = new ArrayList<>();
        OutcomePublisher publisher = OutcomePublisher.create();
        publisher.subscribe(outcomes::add);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(ProtocolHandlers.codec(LIMITS), ProtocolHandlers.headerReadTimeout(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS, "v1", publisher), proxy);
        advance(ch, 1000); // connected, quiet: the head has not begun
        ch.writeInbound(bytes("GET /slow HTTP/1.1\r\nHost"));
        advance(ch, 300);
        ParsedResponse r = responses(ch).get(0);
        assertThat(r.status()).isEqualTo(408);
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.error()).contains(ErrorKind.HEADER_READ_TIMEOUT);
            assertThat(o.totalNanos()).isEqualTo(Duration.ofMillis(300).toNanos());
            assertThat(o.bytesOut()).isEqualTo(r.body().length());
            assertThat(o.method()).isEmpty(); // the 408 is answered for a head that never arrived whole
        });
        ch.finishAndReleaseAll();
    }

    @Test
    void headCompleteInTime_passes_andTheDeadlineIsReArmedForTheNextRequest() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost"));
        advance(ch, 299);
        ch.writeInbound(bytes(": a\r\n\r\n"));
        advance(ch, 1000);
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(200);

        ch.writeInbound(bytes("GET /2 HTTP/1.1\r\n"));
        advance(ch, 299);
        assertThat(Wire.outbound(ch)).isEmpty();
        advance(ch, 1);
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(408);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void idleBetweenRequests_isNotAHeaderTimeout_andClosesSilentlyAtClientIdle() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(responses(ch)).hasSize(1);
        advance(ch, 4999);
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 1);
        assertThat(ch.isOpen()).isFalse();
        assertThat(Wire.outbound(ch)).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void connectionThatNeverSendsAnything_isClosedSilentlyAtClientIdle() {
        EmbeddedChannel ch = channel();
        advance(ch, 5000);
        assertThat(ch.isOpen()).isFalse();
        assertThat(Wire.outbound(ch)).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void emptyLinesAlone_doNotStartTheHeaderDeadline() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("\r\n\r\n"));
        advance(ch, 1000);
        assertThat(ch.isOpen()).isTrue();
        assertThat(Wire.outbound(ch)).isEmpty();
        advance(ch, 4000);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void slowProxy_isNotIdle_andIdleStartsOnlyAfterTheResponse() {
        proxy = new TerminalHandler(true);
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        advance(ch, 60_000);
        assertThat(ch.isOpen()).isTrue();
        proxy.answerPending();
        assertThat(responses(ch)).hasSize(1);
        advance(ch, 4999);
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 1);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void responseStillGoingOutToASlowReader_isNotIdle_andIdleStartsOnceItHasGone() {
        StallingChannel ch = new StallingChannel();
        ch.freezeTime();
        ch.pipeline().addLast(ProtocolHandlers.codec(LIMITS), ProtocolHandlers.headerReadTimeout(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS), proxy);
        ch.stall();
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(proxy.seen).hasSize(2);
        assertThat(Wire.outbound(ch)).isEmpty();
        advance(ch, 60_000);
        assertThat(ch.isOpen()).isTrue();
        ch.resume();
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(200);
        advance(ch, 4999);
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 1);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void keepAliveResponseOnAVoidPromise_reachesTheCodecWithIt_andStartsTheIdleDeadline() {
        List<Boolean> voidPromises = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(ProtocolHandlers.codec(LIMITS), new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                voidPromises.add(promise.isVoid());
                ctx.write(msg, promise);
            }
        }, ProtocolHandlers.headerReadTimeout(LIMITS), ProtocolHandlers.requestValidator(LIMITS),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof LastHttpContent) {
                            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                            head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
                            ctx.write(head, ctx.voidPromise());
                            ctx.write(new DefaultLastHttpContent(bytes("ok")), ctx.voidPromise());
                            ctx.flush();
                        }
                        ReferenceCountUtil.release(msg);
                    }
                });
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(responses(ch)).extracting(ParsedResponse::body).containsExactly("ok");
        assertThat(voidPromises).containsExactly(true, true);
        advance(ch, 4999);
        assertThat(ch.isOpen()).isTrue();
        advance(ch, 1);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void timeoutOfAPipelinedHead_isAnsweredAfterTheEarlierResponse() {
        proxy = new TerminalHandler(true);
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo"));
        advance(ch, 300);
        assertThat(Wire.outbound(ch)).isEmpty();
        ch.writeInbound(bytes("st: a\r\n\r\n")); // too late: dropped
        proxy.answerPending();
        ch.runPendingTasks();
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(200, 408);
        assertThat(proxy.seen).noneMatch(s -> s.contains("/2"));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void interimResponse_doesNotEndTheExchange() {
        proxy = new TerminalHandler(true);
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"));
        ch.pipeline().lastContext().writeAndFlush(
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        advance(ch, 6000);
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(bytes("x"));
        proxy.answerPending();
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(100, 200);
        ch.finishAndReleaseAll();
    }
}
