package io.palisade.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection after a final response without losing that response; one per connection, kept by its
 * {@link RequestValidator}.
 *
 * <p>Closing a socket that still has unread input makes the kernel send a reset, and a reset can make the client drop
 * the response it has not read yet: exactly the 413 or 400 it needs to see. So the output is shut down first (the
 * client reads the response, then end-of-stream), input keeps being read and discarded (the handlers drop it), and the
 * channel is closed when the client closes its side or after {@link #LINGER_MILLIS}, whichever comes first.
 */
final class GracefulClose {
    /** Long enough for a client to finish sending a rejected body it had in flight; short enough to be cheap. */
    static final long LINGER_MILLIS = 2_000;

    private boolean closing;
    private boolean arranged;
    /** The close arranged after the response lingers for input still arriving (see {@link #deferClose}). */
    private boolean lingering;

    /** The connection is done for: everything inbound is dropped, and it closes after the pending response. */
    boolean closing() {
        return closing;
    }

    /** Marks the connection as closing; true the first time, when the caller stops what closing stops. */
    boolean begin() {
        if (closing) {
            return false;
        }
        closing = true;
        return true;
    }

    /** Whether the close is arranged already: a connection closes once, after the first response that decides it. */
    boolean arranged() {
        return arranged;
    }

    /**
     * Closes once {@code write} has completed, successfully or not, unless a close is arranged already.
     *
     * @param ctx            the context to close from: the handler that arranged the close, so that its own
     *                       {@code close()} (which defers other closes to this one, {@link #deferClose}) is not asked
     *                       again
     * @param inputMayFollow the client may still be sending (an unread body, pipelined requests): linger; otherwise
     *                       close at once, which costs no timer and no half-close
     */
    void afterWrite(ChannelHandlerContext ctx, ChannelFuture write, boolean inputMayFollow) {
        if (arranged) {
            return;
        }
        arranged = true;
        lingering = inputMayFollow;
        write.addListener(f -> {
            if (inputMayFollow) {
                close(ctx);
            } else {
                ctx.close();
            }
        });
    }

    /**
     * A close asked for by the proxy (or anything after the validator) while the close arranged here lingers is left
     * to that one: the proxy closes as soon as its response is flushed, and closing then, with the client's bytes
     * still unread, sends a reset instead of the end of the response (the client's sends fail, and many clients
     * report the reset, not the 413 they were sent). The linger ends by itself within {@link #LINGER_MILLIS}.
     *
     * @return whether the close was deferred: {@code promise} then succeeds when the channel has closed
     */
    boolean deferClose(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (lingering && ctx.channel().isActive()) {
            ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
            return true;
        }
        return false;
    }

    private static void close(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (ch instanceof DuplexChannel duplex && ch.isActive() && !duplex.isOutputShutdown()) {
            duplex.shutdownOutput().addListener(f -> {
                if (f.isSuccess()) {
                    ScheduledFuture<?> linger = ch.eventLoop().schedule(() -> ctx.close(), LINGER_MILLIS,
                            TimeUnit.MILLISECONDS);
                    // A client that closes first ends the linger; a pending task would keep the channel reachable.
                    ch.closeFuture().addListener(c -> linger.cancel(false));
                } else {
                    ctx.close();
                }
            });
        } else {
            ctx.close();
        }
    }
}
