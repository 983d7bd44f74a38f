package io.palisade.status;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.palisade.config.Address;
import io.palisade.status.StatusPageSettings.ComponentSettings;
import io.palisade.status.StatusPageSettings.IncidentMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A status page on a real listener on 127.0.0.1 (its own one-thread NIO group), with a book the test changes and a
 * clock it moves, and an HTTP client for it.
 */
final class PageFixture implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    final MutableClock clock = new MutableClock(T0);
    final StatusPageSettings settings;
    final IncidentBook book;
    final StatusPage page;
    final StatusPageServer server;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    PageFixture(Optional<Path> exportDir, UptimeSource uptime) throws InterruptedException {
        settings = new StatusPageSettings(new Address("127.0.0.1", 0), "Acme API", List.of(
                new ComponentSettings("orders", "Orders API", List.of("orders-availability"), List.of("orders")),
                new ComponentSettings("collect", "Data collection", List.of(), List.of("track"))),
                IncidentMode.PUBLISH, Duration.ofMinutes(10), exportDir);
        book = new IncidentBook(settings.componentIds(), IncidentStore.inMemory(), clock);
        page = StatusPage.start(settings, book, uptime, clock);
        server = StatusPageServer.start(settings.address(), group, NioServerSocketChannel.class, page);
    }

    PageFixture() throws InterruptedException {
        this(Optional.empty(), UptimeSource.none());
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    HttpResponse<String> call(String method, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        try {
            return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String path, String... headers) {
        return call("GET", path, headers);
    }

    @Override
    public void close() {
        server.close();
        page.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
