package io.palisade.server;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Responses go out in request order, so a pipelined request (and its body) that arrives while an earlier one is still
 * being answered is held here, with reads paused, and handed on once the earlier response is complete. What can be
 * held is bounded by what was already read: with autoRead on (the default) reads are paused by turning it off, with
 * autoRead off (a proxy that reads on demand) by holding back its {@code read()} calls.
 *
 * <p>One per connection, driven by the {@link RequestValidator} on the connection's event loop; it knows nothing of
 * what a request is answered with, only when the next one may go on.
 */
final class PipeliningSequencer {
    /** The validator's side of the hand-over. */
    interface Target {
        /** A request is being served: the next held request must wait. */
        boolean busy();

        /** Everything inbound is dropped from now on. */
        boolean closing();

        /** Takes one held message, as if it had just been read. */
        void process(ChannelHandlerContext ctx, Object msg);
    }

    private final ArrayDeque<Object> held = new ArrayDeque<>();
    /** A {@code read()} was held back while requests were held. */
    private boolean readSuppressed;
    /** Reads were paused by turning autoRead off, which must be turned back on. */
    private boolean autoReadPaused;
    private boolean drainScheduled;

    /** Whether pipelined messages are held (the client may still be sending more behind them). */
    boolean holding() {
        return !held.isEmpty();
    }

    /**
     * Holds {@code msg} when it must wait: a request while {@code busy}, or anything once something is held (a held
     * request's body stays behind it).
     *
     * @return whether it was held
     */
    boolean holdIfBusy(ChannelHandlerContext ctx, Object msg, boolean busy) {
        if (held.isEmpty() && !(busy && msg instanceof HttpRequest)) {
            return false;
        }
        if (held.isEmpty()) {
            pauseReads(ctx);
        }
        held.add(msg);
        return true;
    }

    /**
     * Whether a {@code read()} must wait until the held requests can go on (bounded buffering); it is then issued by
     * {@link #resumeReads}.
     */
    boolean suppressRead() {
        if (held.isEmpty()) {
            return false;
        }
        readSuppressed = true;
        return true;
    }

    /** The current request is finished: hands on the next held one, or reads again when none is held. */
    void requestFinished(ChannelHandlerContext ctx, Target target) {
        if (held.isEmpty()) {
            resumeReads(ctx);
            return;
        }
        if (drainScheduled) {
            return;
        }
        drainScheduled = true;
        // Not inline: this may run inside the proxy's write() call, and it must not get its next request from there.
        ctx.executor().execute(() -> {
            drainScheduled = false;
            drain(ctx, target);
        });
    }

    private void drain(ChannelHandlerContext ctx, Target target) {
        while (!target.closing() && !held.isEmpty()) {
            if (held.peek() instanceof HttpRequest && target.busy()) {
                return;
            }
            target.process(ctx, held.poll());
        }
        if (held.isEmpty() && !target.closing()) {
            resumeReads(ctx);
        }
    }

    private void pauseReads(ChannelHandlerContext ctx) {
        ChannelConfig config = ctx.channel().config();
        if (config.isAutoRead()) {
            config.setAutoRead(false);
            autoReadPaused = true;
        }
    }

    /** Undoes what holding paused: turns autoRead back on, or issues the {@code read()} that was held back. */
    void resumeReads(ChannelHandlerContext ctx) {
        if (autoReadPaused) {
            autoReadPaused = false;
            readSuppressed = false;
            ctx.channel().config().setAutoRead(true); // which also reads
        } else if (readSuppressed) {
            readSuppressed = false;
            ctx.read();
        }
    }

    /** Drops what is held: the connection is closing, or gone. */
    void releaseHeld() {
        Object o;
        while ((o = held.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
