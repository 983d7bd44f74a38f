package io.palisade.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The protocol handlers plus a trivial 200 handler ({@link TerminalHandler}) on a real 127.0.0.1 ephemeral port, for
 * tests that talk raw bytes over sockets.
 *
 * <pre>{@code
 * try (ProtocolTestServer server = ProtocolTestServer.start(ProtocolTestServer.LIMITS)) {
 *     new Socket("127.0.0.1", server.port());
 * }
 * }</pre>
 */
final class ProtocolTestServer implements AutoCloseable {
    /** Small limits and short timeouts, so the bad-input table runs in seconds. */
    static final ServerLimits LIMITS = new ServerLimits(8 * 1024, 8 * 1024, 16 * 1024, Duration.ofMillis(300),
            Duration.ofSeconds(1), 64);

    private final EventLoopGroup group;
    private final Channel server;
    private final ConnectionLimiter limiter;
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();

    private ProtocolTestServer(ServerLimits limits) throws InterruptedException {
        this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.limiter = ProtocolHandlers.connectionLimiter(limits);
        this.server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ProtocolHandlers.install(ch.pipeline(), limits, limiter);
                        ch.pipeline().addLast("terminal", new TerminalHandler(false, errors));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    static ProtocolTestServer start(ServerLimits limits) throws InterruptedException {
        return new ProtocolTestServer(limits);
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    ConnectionLimiter limiter() {
        return limiter;
    }

    /** Exceptions that reached the end of a pipeline, other than a client's connection going away. */
    List<Throwable> unexpectedErrors() {
        return errors;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
