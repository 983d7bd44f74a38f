package io.palisade.testing;

import io.palisade.admin.ReloadResult;
import io.palisade.gateway.Gateway;
import io.palisade.gateway.GatewayAccess;
import io.palisade.proxy.ProxyRuntime;
import io.palisade.time.Ticker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real gateway in this JVM, on ephemeral loopback ports, serving a YAML config a test writes. The listener is named
 * {@code http}; the admin port is separate. Tests get one from {@link Gateways#start}, which sets its event-loop count
 * and time source and closes it after the test (see {@link GatewayTest}).
 */
public final class GatewayFixture implements AutoCloseable {
    private static final Pattern SERVER_SECTION = Pattern.compile("(?m)^server:[ \\t]*(\\{)?[ \\t]*");

    private final int loops;
    private final Path file;
    private final Gateway gateway;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayFixture(int loops, Path file, Gateway gateway) {
        this.loops = loops;
        this.file = file;
        this.gateway = gateway;
    }

    /**
     * Starts a gateway with {@code loops} event loops unless {@code yaml} sets {@code server.worker_threads} itself;
     * {@code yaml} needs no listeners/admin section (ephemeral ports are added).
     */
    static GatewayFixture start(String yaml, int loops, Ticker ticker, Clock clock) {
        try {
            // Its own directory: the config file, and beside it the gateway's state (versions, audit), so no two
            // gateways of a run share a store.
            Path dir = Files.createTempDirectory("palisade-test");
            Path file = dir.resolve("palisade.yaml");
            Files.writeString(file, complete(yaml, loops));
            try {
                return new GatewayFixture(loops, file, GatewayAccess.start(file, ticker, clock));
            } catch (RuntimeException e) {
                deleteTree(dir);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String complete(String yaml, int loops) {
        return withPorts(withLoops(yaml, loops));
    }

    /** Adds {@code worker_threads} to the {@code server} section (block or flow style), or adds the section. */
    private static String withLoops(String yaml, int loops) {
        if (yaml.contains("worker_threads:")) {
            return yaml;
        }
        Matcher server = SERVER_SECTION.matcher(yaml);
        if (!server.find()) {
            return "server: { worker_threads: " + loops + " }\n" + yaml;
        }
        String rest = yaml.substring(server.end());
        if (server.group(1) != null) {
            String separator = rest.startsWith("}") ? " " : ", ";
            return yaml.substring(0, server.end()) + "worker_threads: " + loops + separator + rest;
        }
        // Block style: the first entry's indentation is the section's.
        Matcher entry = Pattern.compile("\\A\\r?\\n([ ]+)\\S").matcher(rest);
        if (!entry.find()) {
            throw new IllegalArgumentException("cannot add worker_threads to this server section: " + yaml);
        }
        return yaml.substring(0, server.end()) + "\n" + entry.group(1) + "worker_threads: " + loops + rest;
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
        if (!yaml.contains("rollout:")) {
            // A test's reload means "serve this now"; tests of staged rollouts write their own rollout section.
            sb.append("rollout: { steps: [100%] }\n");
        }
        return sb.append(yaml).toString();
    }

    public Gateway gateway() {
        return gateway;
    }

    /** The event loops asked for ({@code server.worker_threads}, unless the test's config set its own). */
    public int loops() {
        return loops;
    }

    /** The proxy behind the listeners, for tests that drive its handler on an {@code EmbeddedChannel}. */
    public ProxyRuntime runtime() {
        return GatewayAccess.runtime(gateway);
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
            Files.writeString(file, complete(yaml, loops));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gateway.reload().toCompletableFuture().join();
    }

    /**
     * Rewrites the config file and releases it past pre-flight, at once: for a test whose new version names an
     * endpoint that is down on purpose (a plain reload refuses it, naming the address).
     */
    public ReloadResult forceReload(String yaml) {
        try {
            Files.writeString(file, complete(yaml, loops));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return GatewayAccess.forceRelease(gateway, file);
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
        deleteTree(file.getParent());
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir; the OS cleans it up
        }
    }
}
