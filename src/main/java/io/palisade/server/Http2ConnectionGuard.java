package io.palisade.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Per HTTP/2 connection, between the frame codec and the stream multiplexer: what Netty's codec does not bound by
 * itself, and the counters.
 *
 * <ul>
 *   <li><b>Control-frame floods</b>: more than {@link #MAX_CONTROL_FRAMES} PING or SETTINGS frames from the client
 *       within {@link #CONTROL_WINDOW_NANOS} end the connection with GOAWAY {@code ENHANCE_YOUR_CALM}. (A client that
 *       does not read the acknowledgements is stopped sooner by the codec's queued control frame cap.)</li>
 *   <li><b>Idle</b>: no open stream for {@code clientIdle}, GOAWAY {@code NO_ERROR} and close, as an idle HTTP/1.1
 *       keep-alive connection is closed. A client trickling a header block across CONTINUATION frames has no open
 *       stream yet, so it is bounded by this too.</li>
 *   <li><b>Connection window</b>: raised from the protocol's 65,535 bytes to {@code initial_window}, so one stream can
 *       use its whole window; what all streams of a connection may have unread together is bounded by it.</li>
 *   <li><b>Drain</b> ({@link ProtocolHandlers#DRAIN}): GOAWAY {@code NO_ERROR}, then the close once the streams in
 *       flight have finished.</li>
 *   <li>Counts streams opened, resets by either side and GOAWAYs sent by reason into {@link Http2Counters}.</li>
 * </ul>
 */
final class Http2ConnectionGuard extends ChannelDuplexHandler {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Http2ConnectionGuard.class);
    static final int MAX_CONTROL_FRAMES = 1000;
    static final long CONTROL_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The window every HTTP/2 connection starts with (RFC 9113 §6.9.2). */
    private static final int DEFAULT_WINDOW = 65_535;

    private final Http2Settings settings;
    private final long idleNanos;
    private final Http2Counters counters;
    private int controlFrames;
    private long controlWindowStart;
    private long idleSince;
    private ScheduledFuture<?> idleTimer;
    private Http2Connection connection;
    private boolean calmed;
    /** The error code of the last GOAWAY counted on this connection, -1 before the first. */
    private long goAwayCounted = -1;

    Http2ConnectionGuard(Http2Settings settings, ServerLimits limits, Http2Counters counters) {
        this.settings = settings;
        this.idleNanos = limits.clientIdle().toNanos();
        this.counters = counters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
        connection = codec.connection();
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamActive(Http2Stream stream) {
                counters.streamOpened();
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (stream.isResetSent()) {
                    counters.resetByGateway();
                }
                if (connection.numActiveStreams() == 0) {
                    idleSince = now(ctx);
                }
            }

            @Override
            public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
                // A close after a GOAWAY repeats it (with the last stream id it then knows): one reason, one count.
                if (errorCode != goAwayCounted) {
                    goAwayCounted = errorCode;
                    counters.goAwaySent(errorCode);
                }
            }
        });
        long now = now(ctx);
        idleSince = now;
        controlWindowStart = now;
        if (settings.initialWindow() > DEFAULT_WINDOW) {
            ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(settings.initialWindow() - DEFAULT_WINDOW));
        }
        armIdle(ctx, idleSince + idleNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelIdle();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelIdle();
        ctx.fireChannelInactive();
    }

    /** A drain: GOAWAY(NO_ERROR) now, the close once the streams in flight are done (the codec's graceful close). */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ProtocolHandlers.DRAIN) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * The codec answers a protocol error with its GOAWAY and closes by itself; stream errors went to their streams.
     * Anything else (a reset, a broken pipe) ends the connection at once. Neither is worth a line in the log.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.http2.Http2FrameStreamException) {
            ctx.fireExceptionCaught(cause); // the multiplexer hands it to its stream
            return;
        }
        log.debug("HTTP/2 connection error on {}", ctx.channel(), cause);
        if (!(cause instanceof io.netty.handler.codec.http2.Http2Exception)) {
            ctx.pipeline().context(Http2FrameCodec.class).close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2ResetFrame) {
            counters.resetByClient();
        } else if ((msg instanceof Http2PingFrame ping && !ping.ack())
                || msg instanceof Http2SettingsFrame) {
            if (controlFrameFlood(ctx)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private boolean controlFrameFlood(ChannelHandlerContext ctx) {
        if (calmed) {
            return true;
        }
        long now = now(ctx);
        if (now - controlWindowStart > CONTROL_WINDOW_NANOS) {
            controlWindowStart = now;
            controlFrames = 0;
        }
        if (++controlFrames <= MAX_CONTROL_FRAMES) {
            return false;
        }
        calmed = true;
        // Closed from the codec's context towards the socket: not the codec's graceful close, which would let the
        // offender's streams run on.
        ChannelHandlerContext codecContext = ctx.pipeline().context(Http2FrameCodec.class);
        ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM))
                .addListener(f -> codecContext.close());
        return true;
    }

    private void armIdle(ChannelHandlerContext ctx, long deadline) {
        idleTimer = ctx.executor().schedule(() -> onIdleTimer(ctx), Math.max(0, deadline - now(ctx)),
                TimeUnit.NANOSECONDS);
    }

    private void onIdleTimer(ChannelHandlerContext ctx) {
        idleTimer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        if (connection.numActiveStreams() > 0) {
            // Busy now: the idle period starts again when its last stream closes (idleSince moves then).
            armIdle(ctx, now(ctx) + idleNanos);
            return;
        }
        long deadline = idleSince + idleNanos;
        if (now(ctx) - deadline < 0) {
            armIdle(ctx, deadline);
            return;
        }
        // The codec's close sends GOAWAY NO_ERROR first.
        ctx.close();
    }

    private void cancelIdle() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private static long now(ChannelHandlerContext ctx) {
        return ctx.executor().ticker().nanoTime();
    }
}
