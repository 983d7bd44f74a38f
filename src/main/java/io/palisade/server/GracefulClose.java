package io.palisade.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection after a final response without losing that response.
 *
 * <p>Closing a socket that still has unread input makes the kernel send a reset, and a reset can make the client drop
 * the response it has not read yet: exactly the 413 or 400 it needs to see. So the output is shut down first (the
 * client reads the response, then end-of-stream), input keeps being read and discarded (the handlers drop it), and the
 * channel is closed when the client closes its side or after {@link #LINGER_MILLIS}, whichever comes first.
 */
final class GracefulClose {
    /** Long enough for a client to finish sending a rejected body it had in flight; short enough to be cheap. */
    static final long LINGER_MILLIS = 2_000;

    private GracefulClose() {}

    /**
     * Closes once {@code write} has completed, successfully or not.
     *
     * @param ctx            the context to close from: the handler that arranged the close, so that its own
     *                       {@code close()} (which defers other closes to this one) is not asked again
     * @param inputMayFollow the client may still be sending (an unread body, pipelined requests): linger; otherwise
     *                       close at once, which costs no timer and no half-close
     */
    static void afterWrite(ChannelHandlerContext ctx, ChannelFuture write, boolean inputMayFollow) {
        write.addListener(f -> {
            if (inputMayFollow) {
                close(ctx);
            } else {
                ctx.close();
            }
        });
    }

    static void close(ChannelHandlerContext ctx) {
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
