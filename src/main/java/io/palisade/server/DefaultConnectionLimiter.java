package io.palisade.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@ChannelHandler.Sharable
final class DefaultConnectionLimiter extends ChannelInboundHandlerAdapter implements ConnectionLimiter {
    private static final Logger log = LoggerFactory.getLogger(DefaultConnectionLimiter.class);
    /**
     * What this limiter counted for a channel: {@link #NO_ADDRESS} when only the listener's count, else the address
     * key as well. Unset on a rejected channel, so it is not subtracted again when it closes.
     */
    private static final AttributeKey<Object> COUNTED = AttributeKey.valueOf(DefaultConnectionLimiter.class, "counted");
    private static final Object NO_ADDRESS = new Object();

    private final String listener;
    private final boolean proxyProtocol;
    private volatile int max;
    private volatile int maxPerAddress;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder rejectedPerAddress = new LongAdder();
    /**
     * Open connections per client address key (see {@link #key}). An entry exists only while its count is above 0,
     * so the map holds at most as many entries as there are open connections.
     */
    private final ConcurrentHashMap<Object, Integer> perAddress = new ConcurrentHashMap<>();
    private final RateLimitedLog overCap;

    DefaultConnectionLimiter(String listener, int max, int maxPerAddress, boolean proxyProtocol, Ticker ticker) {
        this.listener = listener;
        this.max = checked(max);
        this.maxPerAddress = checkedPerAddress(maxPerAddress);
        this.proxyProtocol = proxyProtocol;
        this.overCap = RateLimitedLog.every(Duration.ofSeconds(10), log, ticker);
    }

    private static int checked(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("maxConnections: " + max + " (expected: > 0)");
        }
        return max;
    }

    private static int checkedPerAddress(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("maxConnectionsPerIp: " + max + " (expected: >= 0, 0 for no cap)");
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
        Channel ch = ctx.channel();
        ch.attr(COUNTED).set(NO_ADDRESS);
        // Behind a PROXY header the peer is the balancer: the client is known once the header is read.
        if (!proxyProtocol && !admitAddress(ctx, ch.remoteAddress())) {
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ProxyProtocol.HEADER_READ) {
            String client = ProxyProtocol.client(ctx.channel());
            // A LOCAL header (the balancer's own health check) names no client: the balancer is the peer.
            admitAddress(ctx, client != null ? client : ctx.channel().remoteAddress());
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Counts the connection against its client address; false (and the connection closed) over the cap. */
    private boolean admitAddress(ChannelHandlerContext ctx, Object address) {
        int cap = maxPerAddress;
        Object key = cap == 0 ? null : key(address);
        if (key == null) {
            return true;
        }
        Integer now = perAddress.merge(key, 1, Integer::sum);
        if (now > cap) {
            release(key);
            open.decrementAndGet();
            ctx.channel().attr(COUNTED).set(null);
            rejectedPerAddress.increment();
            overCap.warn("listener " + listener + ": a connection from " + describe(address)
                    + " closed on accept, over server.limits.max_connections_per_ip (" + cap + ")", null);
            ctx.close();
            return false;
        }
        ctx.channel().attr(COUNTED).set(key);
        return true;
    }

    private void release(Object key) {
        perAddress.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Object counted = ctx.channel().attr(COUNTED).getAndSet(null);
        if (counted != null) {
            open.decrementAndGet();
            if (counted != NO_ADDRESS) {
                release(counted);
            }
        }
        ctx.fireChannelInactive();
    }

    /**
     * The key a client address is counted under: an IPv4 address as an {@code Integer}, an IPv6 address by its /64
     * prefix as a {@code Long} (one host or one site's LAN; a single host can pick any address of its /64, so a cap
     * per full address would not hold). The two key types never equal each other. Null when the address is not an
     * IP address.
     */
    static Object key(Object address) {
        byte[] b;
        if (address instanceof InetSocketAddress isa && isa.getAddress() != null) {
            b = isa.getAddress().getAddress();
        } else if (address instanceof String s) {
            b = NetUtil.createByteArrayFromIpAddressString(s);
        } else {
            return null;
        }
        if (b == null) {
            return null;
        }
        if (b.length == 4) {
            return ipv4(b, 0);
        }
        if (isIpv4Mapped(b)) {
            return ipv4(b, 12);
        }
        long prefix = 0;
        for (int i = 0; i < 8; i++) {
            prefix = prefix << 8 | (b[i] & 0xff);
        }
        return prefix;
    }

    private static Integer ipv4(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    private static boolean isIpv4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    private static String describe(Object address) {
        return address instanceof InetSocketAddress isa && isa.getAddress() != null
                ? isa.getAddress().getHostAddress() : String.valueOf(address);
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
    public long rejectedPerIp() {
        return rejectedPerAddress.sum();
    }

    @Override
    public int addressesTracked() {
        return perAddress.size();
    }

    @Override
    public int maxConnections() {
        return max;
    }

    @Override
    public void maxConnections(int maxConnections) {
        this.max = checked(maxConnections);
    }

    @Override
    public int maxConnectionsPerIp() {
        return maxPerAddress;
    }

    @Override
    public void maxConnectionsPerIp(int maxConnectionsPerIp) {
        this.maxPerAddress = checkedPerAddress(maxConnectionsPerIp);
    }
}
