package io.palisade.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import java.util.concurrent.TimeUnit;

/**
 * The two client-side deadlines of a connection, on one timer of the channel's event loop:
 *
 * <ul>
 *   <li><b>Header read</b>: from the first byte of a request line ({@link RequestHeadStarted}, from the codec) until
 *       its head is decoded, at most {@code headerReadTimeout}. A slow-loris client trickling header bytes gets a
 *       {@code 408 request_timeout} at the deadline, counted from the first byte, never reset by later ones. Re-armed
 *       for each request of a keep-alive connection.</li>
 *   <li><b>Idle</b>: while no request is in progress (no head being read, every request passed on has had its final
 *       response written) and nothing is left to send, at most {@code clientIdle}; then the connection is closed
 *       silently. Not armed while a request is in progress: the proxy's own deadlines cover a slow upstream or a slow
 *       body. A response still waiting to go out to a slow reader when the deadline comes keeps the connection open,
 *       and the idle period starts again once it has gone.</li>
 * </ul>
 *
 * <p>Sits after the codec and before the {@link RequestValidator}. On expiry it does not write the 408 itself: it
 * passes on a request whose {@code DecoderResult} failed with {@code GatewayException.of(HEADER_READ_TIMEOUT)}, so the
 * validator answers it like any other bad request, in order behind a response still being written for an earlier
 * pipelined request, and closes. Everything decoded after the expiry is dropped.
 *
 * <p>Time is the event loop's own ticker, the clock its scheduler runs on, so tests drive both deadlines by advancing
 * an {@code EmbeddedChannel}'s frozen clock.
 */
final class HeaderReadTimeoutHandler extends ChannelDuplexHandler {
    private final long headerTimeoutNanos;
    private final long idleNanos;
    /**
     * One timer for both deadlines, armed lazily: when it fires it re-checks the state and re-arms for whatever
     * deadline is then pending. A request that arrives in one read, or a keep-alive connection going idle and busy
     * again, costs no scheduling, only a timestamp.
     */
    private ScheduledFuture<?> timer;
    private long timerDeadline;
    private boolean headInProgress;
    private long headStartedAt;
    private boolean idle;
    private long idleSince;
    /** Requests passed on whose final response has not been written (queued on the channel) yet. */
    private int outstanding;
    private boolean interimResponse;
    private boolean expired;
    /** An empty write is queued behind unsent response bytes, to learn when they have gone out. */
    private boolean drainProbe;

    HeaderReadTimeoutHandler(ServerLimits limits) {
        this.headerTimeoutNanos = positive(limits.headerReadTimeout().toNanos(), "headerReadTimeout");
        this.idleNanos = positive(limits.clientIdle().toNanos(), "clientIdle");
    }

    private static long positive(long nanos, String name) {
        if (nanos <= 0) {
            throw new IllegalArgumentException(name + ": " + nanos + "ns (expected: > 0)");
        }
        return nanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            becomeIdle(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!idle && !headInProgress && outstanding == 0) {
            becomeIdle(ctx);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == RequestHeadStarted.INSTANCE && !expired) {
            idle = false;
            headInProgress = true;
            headStartedAt = now(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (expired) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest) {
            headInProgress = false;
            idle = false;
            outstanding++;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Only a head still incomplete after a whole read needs its deadline on the timer.
        if (headInProgress) {
            ensureTimer(ctx, headStartedAt + headerTimeoutNanos);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            interimResponse = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        }
        ctx.write(msg, promise);
        if (msg instanceof LastHttpContent) {
            if (interimResponse) {
                interimResponse = false;
            } else {
                // Counted when queued, not when sent: no listener per response. Whether its bytes have gone out is
                // asked only when the idle deadline comes (onTimer).
                responseWritten(ctx);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void responseWritten(ChannelHandlerContext ctx) {
        if (outstanding > 0) {
            outstanding--;
        }
        if (outstanding == 0 && !headInProgress && !expired && ctx.channel().isActive()) {
            becomeIdle(ctx);
        }
    }

    private void becomeIdle(ChannelHandlerContext ctx) {
        idle = true;
        idleSince = now(ctx);
        ensureTimer(ctx, idleSince + idleNanos);
    }

    private void onTimer(ChannelHandlerContext ctx) {
        timer = null;
        if (expired || !ctx.channel().isActive()) {
            return;
        }
        long now = now(ctx);
        if (headInProgress) {
            long deadline = headStartedAt + headerTimeoutNanos;
            if (now - deadline >= 0) {
                headerDeadlinePassed(ctx);
            } else {
                ensureTimer(ctx, deadline);
            }
        } else if (idle) {
            long deadline = idleSince + idleNanos;
            if (now - deadline < 0) {
                ensureTimer(ctx, deadline);
            } else if (hasUnsentBytes(ctx)) {
                awaitDrain(ctx);
            } else {
                ctx.close();
            }
        }
    }

    private static boolean hasUnsentBytes(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out != null && out.totalPendingWriteBytes() > 0;
    }

    /**
     * The last response is still being sent (a client slow to read): not idle yet. Writes complete in order, so an
     * empty write queued behind it completes once it has gone; the idle period starts then.
     */
    private void awaitDrain(ChannelHandlerContext ctx) {
        if (drainProbe) {
            return;
        }
        drainProbe = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            drainProbe = false;
            if (idle && !expired && ctx.channel().isActive()) {
                becomeIdle(ctx);
            }
        });
    }

    private void headerDeadlinePassed(ChannelHandlerContext ctx) {
        expired = true;
        headInProgress = false;
        outstanding++;
        FullHttpRequest timedOut = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/",
                Unpooled.EMPTY_BUFFER);
        timedOut.setDecoderResult(DecoderResult.failure(GatewayException.of(ErrorKind.HEADER_READ_TIMEOUT)));
        ctx.fireChannelRead(timedOut);
        ctx.fireChannelReadComplete();
    }

    /** Makes sure the timer fires no later than {@code deadline}. */
    private void ensureTimer(ChannelHandlerContext ctx, long deadline) {
        if (timer != null) {
            if (timerDeadline - deadline <= 0) {
                return;
            }
            timer.cancel(false);
        }
        timerDeadline = deadline;
        timer = ctx.executor().schedule(() -> onTimer(ctx), Math.max(0, deadline - now(ctx)), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private static long now(ChannelHandlerContext ctx) {
        return ctx.executor().ticker().nanoTime();
    }
}
