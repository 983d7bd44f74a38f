package io.palisade.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.EventExecutor;
import io.palisade.server.AcceptBackoff;
import io.palisade.server.ConnectionLimiter;
import io.palisade.server.ListenerConfig;
import io.palisade.server.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The data listeners' sockets: bound once at start (a reload cannot move them), each refused with its name and
 * address when the port is taken, closed first when the gateway stops.
 */
final class Listeners {
    private final Transport transport;
    private final EventLoopGroup workers;
    /** Null where every event loop accepts for itself (SO_REUSEPORT). */
    private final EventLoopGroup acceptor;
    private final BiFunction<ListenerConfig, ConnectionLimiter, ChannelHandler> initializers;
    private final AcceptBackoff acceptBackoff;
    private final List<Channel> channels = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Integer> ports = new LinkedHashMap<>();

    /** @param initializers the child handler of a listener's connections, given the listener and its connection cap */
    Listeners(Transport transport, EventLoopGroup workers, EventLoopGroup acceptor,
              BiFunction<ListenerConfig, ConnectionLimiter, ChannelHandler> initializers,
              AcceptBackoff acceptBackoff) {
        this.acceptBackoff = acceptBackoff;
        this.transport = transport;
        this.workers = workers;
        this.acceptor = acceptor;
        this.initializers = initializers;
    }

    void bind(List<ListenerConfig> listeners, Map<String, ConnectionLimiter> limiters) throws InterruptedException {
        for (ListenerConfig l : listeners) {
            InetSocketAddress address = new InetSocketAddress(l.address().host(), l.address().port());
            String what = "listener " + l.name() + " " + l.address();
            Optional<ChannelOption<Boolean>> reusePort = transport.reusePort();
            ConnectionLimiter limiter = limiters.get(l.name());
            ChannelHandler initializer = initializers.apply(l, limiter);
            int port = reusePort.isPresent() ? bindPerLoop(l.name(), what, address, reusePort.get(), initializer)
                    : bindWithAcceptor(l.name(), what, address, initializer);
            ports.put(l.name(), port);
        }
    }

    /** The bound port of a data listener (useful when the config asked for port 0). */
    int port(String listener) {
        Integer p = ports.get(listener);
        if (p == null) {
            throw new IllegalArgumentException("listener: " + listener + " (expected one of " + ports.keySet() + ")");
        }
        return p;
    }

    Map<String, Integer> ports() {
        return Map.copyOf(ports);
    }

    /** The listening sockets: one per event loop and listener with SO_REUSEPORT, one per listener without. */
    List<Channel> channels() {
        return List.copyOf(channels);
    }

    /** Stops accepting; connections already accepted stay open. */
    void close() {
        for (Channel ch : channels()) {
            ch.close().awaitUninterruptibly();
        }
    }

    /**
     * One socket per event loop on the same port (SO_REUSEPORT), each serving the connections it accepts on its own
     * loop, as nginx and Envoy do with reuse-port: a new connection costs no cross-thread hand-off and wake-up. A port
     * another process holds is refused first, since SO_REUSEPORT would otherwise let two gateways of the same user
     * share it silently.
     */
    private int bindPerLoop(String name, String what, InetSocketAddress address, ChannelOption<Boolean> reusePort,
                            ChannelHandler initializer)
            throws InterruptedException {
        if (address.getPort() != 0) {
            ensurePortFree(what, address);
        }
        int port = address.getPort();
        for (EventExecutor executor : workers) {
            EventLoop loop = (EventLoop) executor;
            Channel ch = bind(what, serverBootstrap(name, loop, loop, initializer).option(reusePort, true),
                    new InetSocketAddress(address.getAddress(), port));
            port = ((InetSocketAddress) ch.localAddress()).getPort();
        }
        return port;
    }

    /** One acceptor thread handing connections to the event loops, where SO_REUSEPORT is not available (NIO). */
    private int bindWithAcceptor(String name, String what, InetSocketAddress address, ChannelHandler initializer)
            throws InterruptedException {
        Channel ch = bind(what, serverBootstrap(name, acceptor, workers, initializer), address);
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    private Channel bind(String what, ServerBootstrap bootstrap, InetSocketAddress address)
            throws InterruptedException {
        ChannelFuture bound = bootstrap.bind(address).await();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            IOException io = cause instanceof IOException e ? e : new IOException(cause);
            throw new UncheckedIOException(what + ": " + cause.getMessage(), io);
        }
        channels.add(bound.channel());
        return bound.channel();
    }

    static void ensurePortFree(String what, InetSocketAddress address) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(address);
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": " + e.getMessage(), e);
        }
    }

    private ServerBootstrap serverBootstrap(String name, EventLoopGroup acceptorGroup, EventLoopGroup childGroup,
                                            ChannelHandler initializer) {
        return new ServerBootstrap()
                .group(acceptorGroup, childGroup)
                .channel(transport.serverChannel())
                .handler(acceptBackoff.newHandler(name))
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                // TCP_NODELAY is not set here: every transport's socket config turns it on by default already, and
                // setting it again costs a system call per connection.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(initializer);
    }
}
