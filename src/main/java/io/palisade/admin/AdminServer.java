package io.palisade.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.palisade.config.Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The admin HTTP server: {@code /healthz}, {@code /readyz}, {@code /metrics}, {@code /config}, {@code /clusters},
 * {@code POST /config/reload}. It runs on its own event loop group with its own port, so it keeps answering while the
 * data side is saturated (seed 002: monitoring must not go blind with the thing it monitors).
 *
 * <pre>{@code
 * AdminServer admin = AdminServer.start(address, adminGroup, serverChannelClass, backend);
 * int port = admin.port();
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {
    private static final int MAX_ADMIN_REQUEST = 64 * 1024;
    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    /** @throws UncheckedIOException when the address cannot be bound (in use, not local) */
    public static AdminServer start(Address address, EventLoopGroup group,
                                    Class<? extends ServerSocketChannel> channelClass, AdminBackend backend)
            throws InterruptedException {
        Objects.requireNonNull(backend, "backend");
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("read-timeout", new ReadTimeoutHandler(30))
                                .addLast("codec", new HttpServerCodec())
                                .addLast("aggregate", new HttpObjectAggregator(MAX_ADMIN_REQUEST))
                                .addLast("admin", new AdminHandler(backend));
                    }
                });
        ChannelFuture bound = b.bind(new InetSocketAddress(address.host(), address.port())).await();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new UncheckedIOException(cause instanceof IOException e ? e : new IOException(cause));
        }
        return new AdminServer(bound.channel());
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
