package io.palisade.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.Endpoint;

/**
 * The last handler of an upstream channel: hands every response message to the exchange currently using the
 * connection. While the connection sits in the pool any inbound message or close just retires it.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    final Channel channel;
    final Cluster cluster;
    final Endpoint endpoint;
    final UpstreamPool pool;
    Exchange exchange;
    boolean pooled;
    /** The pipeline's idle timer, found on first use. */
    private UpstreamIdleTimer idle;

    /**
     * Starts the exchange's idle period: the route's timeout when it overrides the cluster's ({@link #restoreIdle}
     * puts the cluster's back). The timer changes in place, so an override costs no pipeline change.
     */
    void startIdle(java.util.Optional<java.time.Duration> routeIdle) {
        idleTimer().restart(routeIdle.isPresent() ? routeIdle.get() : cluster.config().timeouts().idle());
    }

    /** Back in the pool: the cluster's idle timeout closes the connection if it stays unused. */
    void restoreIdle() {
        idleTimer().restart(cluster.config().timeouts().idle());
    }

    private UpstreamIdleTimer idleTimer() {
        UpstreamIdleTimer t = idle;
        if (t == null) {
            t = (UpstreamIdleTimer) channel.pipeline().get(UpstreamPool.IDLE);
            idle = t;
        }
        return t;
    }

    UpstreamConnection(Channel channel, Cluster cluster, Endpoint endpoint, UpstreamPool pool) {
        this.channel = channel;
        this.cluster = cluster;
        this.endpoint = endpoint;
        this.pool = pool;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamMessage(this, msg);
        } else {
            // An idle connection must not talk; whatever this is, the connection is no longer trustworthy.
            ReferenceCountUtil.release(msg);
            pool.remove(this);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamReadComplete(this);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null && ctx.channel().isWritable()) {
            ex.onUpstreamWritable(this);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamClosed(this);
        } else {
            pool.remove(this);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            Exchange ex = exchange;
            if (ex != null) {
                ex.onUpstreamIdle(this);
            } else {
                pool.remove(this);
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Decoder errors (invalid response) and I/O errors: the exchange learns of it through channelInactive, but a
        // decoding failure must be told apart from a reset so the client gets the right 502.
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamError(this, cause);
        }
        ctx.close();
    }
}
