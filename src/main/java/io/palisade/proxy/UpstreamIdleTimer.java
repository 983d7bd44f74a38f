package io.palisade.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Fires {@link IdleStateEvent#READER_IDLE_STATE_EVENT} when the upstream has sent nothing for the timeout in force,
 * as Netty's reader-idle {@code IdleStateHandler} does, but with a timeout that changes in place: a route that
 * overrides its cluster's idle timeout sets a field per request instead of replacing a pipeline handler (a new
 * handler, context and timer, and a pipeline mutation) twice per request.
 *
 * <p>The idle clock restarts when an exchange takes the connection ({@link #restart}): time the connection spent in
 * the pool is not silence from the upstream on that request. One timer at a time; it is rescheduled only when the
 * deadline moves earlier than the one it was set for, and otherwise re-arms itself when it fires early.
 */
final class UpstreamIdleTimer extends ChannelInboundHandlerAdapter implements Runnable {
    private ChannelHandlerContext ctx;
    private Ticker ticker;
    private long timeoutNanos;
    private long lastReadNanos;
    private Future<?> timer;
    private long timerDueNanos;
    private boolean stopped;

    UpstreamIdleTimer(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /** Starts a new idle period of {@code timeout} from now; on the channel's event loop. */
    void restart(Duration timeout) {
        timeoutNanos = timeout.toNanos();
        if (ctx == null || !ctx.channel().isActive()) {
            return; // the clock starts when the connection does
        }
        lastReadNanos = ticker.nanoTime();
        long due = lastReadNanos + timeoutNanos;
        if (timer == null) {
            schedule(due);
        } else if (due - timerDueNanos < 0) {
            timer.cancel(false);
            schedule(due);
        }
    }

    /** The timeout in force; for tests. */
    Duration timeout() {
        return Duration.ofNanos(timeoutNanos);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.ticker = ctx.executor().ticker();
        if (ctx.channel().isActive()) {
            start();
        }
    }

    /** From the connection's establishment, as IdleStateHandler: the connect timeout covers the time before. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (timer == null) {
            lastReadNanos = ticker.nanoTime();
            schedule(lastReadNanos + timeoutNanos);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = ticker.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastReadNanos = ticker.nanoTime();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void run() {
        timer = null;
        if (stopped || !ctx.channel().isOpen()) {
            return;
        }
        long now = ticker.nanoTime();
        long due = lastReadNanos + timeoutNanos;
        if (now - due < 0) {
            schedule(due); // something was read, or the clock restarted, since this was set
            return;
        }
        // As IdleStateHandler: the next event, if the silence goes on, one timeout later.
        schedule(now + timeoutNanos);
        ctx.fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    }

    private void schedule(long dueNanos) {
        if (stopped) {
            return;
        }
        timerDueNanos = dueNanos;
        timer = ctx.executor().schedule(this, Math.max(0, dueNanos - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void stop() {
        stopped = true;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
