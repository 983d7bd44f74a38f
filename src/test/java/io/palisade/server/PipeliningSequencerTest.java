package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sequencer alone, driven as the validator drives it by a handler that serves one request at a time: what it
 * holds, when it hands it on, and how it pauses and resumes reads with autoRead on and off.
 */
class PipeliningSequencerTest {
    /** Serves requests one at a time through a sequencer; a test says when the current one is finished. */
    private static final class OneAtATime extends ChannelDuplexHandler implements PipeliningSequencer.Target {
        final PipeliningSequencer sequencer = new PipeliningSequencer();
        final List<String> processed = new ArrayList<>();
        boolean busy;
        boolean closing;
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!sequencer.holdIfBusy(ctx, msg, busy)) {
                process(ctx, msg);
            }
        }

        @Override
        public void read(ChannelHandlerContext ctx) {
            if (!closing && sequencer.suppressRead()) {
                return;
            }
            ctx.read();
        }

        @Override
        public boolean busy() {
            return busy;
        }

        @Override
        public boolean closing() {
            return closing;
        }

        @Override
        public void process(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                busy = true;
                processed.add(request.uri());
            } else if (msg instanceof HttpContent content) {
                processed.add((msg instanceof LastHttpContent ? "last:" : "body:")
                        + content.content().toString(StandardCharsets.US_ASCII));
            }
            ReferenceCountUtil.release(msg);
        }

        void finishCurrent() {
            busy = false;
            sequencer.requestFinished(ctx, this);
        }
    }

    /** Counts the {@code read()} calls that get past the handler after it. */
    private static final class Reads extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) {
            count++;
            ctx.read();
        }
    }

    private static HttpRequest request(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
    }

    private static HttpContent body(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    @Test
    void requestWhileBusy_isHeldWithItsBody_readsPaused_andHandedOnAfterTheCurrentOne_notInsideTheCall() {
        OneAtATime server = new OneAtATime();
        EmbeddedChannel ch = new EmbeddedChannel(server);
        ch.writeInbound(request("/a"));
        ch.writeInbound(request("/b"), body("x"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(server.processed).containsExactly("/a");
        assertThat(server.sequencer.holding()).isTrue();
        assertThat(ch.config().isAutoRead()).as("reads paused while requests are held").isFalse();

        server.finishCurrent();
        assertThat(server.processed).as("not handed on from inside the finishing call").containsExactly("/a");
        ch.runPendingTasks();
        assertThat(server.processed).containsExactly("/a", "/b", "body:x", "last:");
        assertThat(server.sequencer.holding()).isFalse();
        assertThat(ch.config().isAutoRead()).as("reads resumed once nothing is held").isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void twoHeldRequests_theSecondWaitsForTheFirstToFinish() {
        OneAtATime server = new OneAtATime();
        EmbeddedChannel ch = new EmbeddedChannel(server);
        ch.writeInbound(request("/a"), request("/b"), request("/c"));
        server.finishCurrent();
        ch.runPendingTasks();
        assertThat(server.processed).containsExactly("/a", "/b");
        assertThat(ch.config().isAutoRead()).as("still holding /c").isFalse();

        server.finishCurrent();
        ch.runPendingTasks();
        assertThat(server.processed).containsExactly("/a", "/b", "/c");
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void withAutoReadOff_readsAreHeldBack_andOneIsIssuedWhenTheHeldRequestsHaveGoneOn() {
        Reads reads = new Reads();
        OneAtATime server = new OneAtATime();
        EmbeddedChannel ch = new EmbeddedChannel(reads, server);
        ch.config().setAutoRead(false);
        ch.writeInbound(request("/a"), request("/b"));
        reads.count = 0;

        ch.read();
        ch.read();
        assertThat(reads.count).as("no more bytes while a request is held").isZero();
        assertThat(ch.config().isAutoRead()).as("autoRead left as the proxy set it").isFalse();

        server.finishCurrent();
        ch.runPendingTasks();
        assertThat(server.processed).containsExactly("/a", "/b");
        assertThat(reads.count).as("the held-back reads, issued once").isEqualTo(1);
        ch.read();
        assertThat(reads.count).isEqualTo(2);
        ch.finishAndReleaseAll();
    }

    @Test
    void finishingWithNothingHeld_keepsReading() {
        Reads reads = new Reads();
        OneAtATime server = new OneAtATime();
        EmbeddedChannel ch = new EmbeddedChannel(reads, server);
        ch.writeInbound(request("/a"));
        server.finishCurrent();
        ch.runPendingTasks();
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.writeInbound(request("/b"));
        assertThat(server.processed).containsExactly("/a", "/b");
        ch.finishAndReleaseAll();
    }

    @Test
    void closingBeforeTheDrainRuns_handsNothingOn_andReleasingDropsWhatIsHeld() {
        OneAtATime server = new OneAtATime();
        EmbeddedChannel ch = new EmbeddedChannel(server);
        HttpContent held = body("held");
        ch.writeInbound(request("/a"), request("/b"), held);
        server.finishCurrent();
        server.closing = true;
        ch.runPendingTasks();
        assertThat(server.processed).containsExactly("/a");
        assertThat(held.refCnt()).isEqualTo(1);

        server.sequencer.releaseHeld();
        assertThat(held.refCnt()).isZero();
        assertThat(server.sequencer.holding()).isFalse();
        ch.finishAndReleaseAll();
    }
}
