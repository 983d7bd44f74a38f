package io.palisade.testing;

import io.palisade.admin.ReloadResult;
import io.palisade.gateway.Gateway;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real gateway in this JVM, on ephemeral loopback ports, serving a YAML config a test writes. The listener is named
 * {@code http}; the admin port is separate.
 */
public final class GatewayFixture implements AutoCloseable {
    private final Path file;
    private final Gateway gateway;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayFixture(Path file, Gateway gateway) {
        this.file = file;
        this.gateway = gateway;
    }

    /** Starts a gateway; {@code yaml} needs no listeners/admin section (ephemeral ports are added). */
    public static GatewayFixture start(String yaml) {
        try {
            Path file = Files.createTempFile("palisade-test", ".yaml");
            Files.writeString(file, withPorts(yaml));
            return new GatewayFixture(file, Gateway.start(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String withPorts(String yaml) {
        StringBuilder sb = new StringBuilder();
        if (!yaml.contains("listeners:")) {
            sb.append("listeners:\n  http: { address: 127.0.0.1:0 }\n");
        }
        if (!yaml.contains("admin:")) {
            sb.append("admin:\n  address: 127.0.0.1:0\n");
        }
        if (!yaml.contains("access_log:")) {
            sb.append("access_log: { enabled: false }\n");
        }
        return sb.append(yaml).toString();
    }

    public Gateway gateway() {
        return gateway;
    }

    public int port() {
        return gateway.port("http");
    }

    public int adminPort() {
        return gateway.adminPort();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** Rewrites the config file and reloads it. */
    public ReloadResult reload(String yaml) {
        try {
            Files.writeString(file, withPorts(yaml));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gateway.reload().toCompletableFuture().join();
    }

    public HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).GET(), headers);
    }

    public HttpResponse<String> post(String path, String body, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).POST(HttpRequest.BodyPublishers.ofString(body)),
                headers);
    }

    public HttpResponse<String> admin(String method, String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        return send(b);
    }

    public HttpResponse<String> send(HttpRequest.Builder b, String... headers) {
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        b.timeout(Duration.ofSeconds(30));
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpClient client() {
        return client;
    }

    @Override
    public void close() {
        gateway.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // temp file; the OS cleans it up
        }
    }
}
