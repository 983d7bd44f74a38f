package io.palisade.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

@ChannelHandler.Sharable
final class DefaultConnectionLimiter extends ChannelInboundHandlerAdapter implements ConnectionLimiter {
    /** Marks the channels this limiter counted, so a rejected one is not subtracted again when it closes. */
    private static final AttributeKey<Boolean> COUNTED =
            AttributeKey.valueOf(DefaultConnectionLimiter.class, "counted");

    private volatile int max;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder rejected = new LongAdder();

    DefaultConnectionLimiter(int max) {
        this.max = checked(max);
    }

    private static int checked(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("maxConnections: " + max + " (expected: > 0)");
        }
        return max;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            rejected.increment();
            // Not passed on: the handlers behind never start timers or reads for this connection.
            ctx.close();
            return;
        }
        ctx.channel().attr(COUNTED).set(Boolean.TRUE);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel().attr(COUNTED).getAndSet(null) != null) {
            open.decrementAndGet();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public int open() {
        return open.get();
    }

    @Override
    public long rejected() {
        return rejected.sum();
    }

    @Override
    public int maxConnections() {
        return max;
    }

    @Override
    public void maxConnections(int maxConnections) {
        this.max = checked(maxConnections);
    }
}
