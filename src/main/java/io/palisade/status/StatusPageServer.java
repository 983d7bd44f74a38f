package io.palisade.status;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.palisade.config.Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The public status page's listener, on {@code status_page.address}: read-only (GET and HEAD; anything else is 405),
 * separate from the data listeners and the admin port, on an event loop group of its own (one thread is plenty:
 * every request is a map lookup and a write of bytes rendered earlier, see {@link StatusPage}). So the page answers
 * while the data side is saturated, and a crowd reading the page during an incident cannot slow the API it reports
 * on.
 *
 * <p>Paths: {@code /} (and {@code /index.html}), {@code /history.atom}, and Statuspage's {@code /api/v2/summary.json},
 * {@code status.json}, {@code components.json}, {@code incidents.json}, {@code incidents/unresolved.json},
 * {@code scheduled-maintenances.json}, {@code scheduled-maintenances/upcoming.json},
 * {@code scheduled-maintenances/active.json}. Every answer allows any origin (CORS), carries an ETag and honours
 * {@code If-None-Match}.
 *
 * <pre>{@code
 * EventLoopGroup statusGroup = transport.newGroup(1, "palisade-status-http");
 * StatusPageServer server = StatusPageServer.start(settings.address(), statusGroup, transport.serverChannel(), page);
 * }</pre>
 */
public final class StatusPageServer implements AutoCloseable {
    /** A connection that sends nothing for this long is closed: a public port cannot hold idle sockets forever. */
    static final int IDLE_SECONDS = 30;
    private final Channel channel;

    private StatusPageServer(Channel channel) {
        this.channel = channel;
    }

    /** @throws UncheckedIOException when the address cannot be bound (in use, not local) */
    public static StatusPageServer start(Address address, EventLoopGroup group,
                                         Class<? extends ServerSocketChannel> channelClass, StatusPage page)
            throws InterruptedException {
        Objects.requireNonNull(page, "page");
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("read-timeout", new ReadTimeoutHandler(IDLE_SECONDS))
                                // Small limits: the page's requests are a GET line and a few headers.
                                .addLast("codec", new HttpServerCodec(4096, 8192, 8192))
                                .addLast("status", new StatusHandler(page::snapshot));
                    }
                });
        ChannelFuture bound = b.bind(new InetSocketAddress(address.host(), address.port())).await();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new UncheckedIOException(cause instanceof IOException e ? e : new IOException(cause));
        }
        return new StatusPageServer(bound.channel());
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
