package io.palisade.drills;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.palisade.testing.PacedLoad;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** What the release drills share: admin API calls as the CLI makes them, and an auth service that answers. */
final class ReleaseDrills {
    static final ObjectMapper JSON = new ObjectMapper();

    private ReleaseDrills() {}

    /** {@code POST /config/versions}: the whole config file, as {@code palisade config apply} sends it. */
    static HttpResponse<String> apply(GatewayProcess gw, String yaml, String message, boolean force, boolean direct)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("yaml", gw.fullConfig(yaml)).put("message", message)
                .put("author", "drill").put("force", force).put("direct", direct);
        return gw.adminCall("POST", "/config/versions", body.toString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    static JsonNode get(GatewayProcess gw, String path) throws IOException, InterruptedException {
        return json(gw.adminCall("GET", path, null));
    }

    /** Polls {@code GET /config/rollout} every 50 ms until {@code until} holds; returns the nanoTime it did. */
    static long awaitRollout(GatewayProcess gw, Predicate<JsonNode> until, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < deadline) {
            JsonNode r = get(gw, "/config/rollout");
            if (until.test(r)) {
                return System.nanoTime();
            }
            Thread.sleep(50); // polling the admin API as an operator's dashboard would
        }
        throw new AssertionError("rollout did not reach the expected state within " + timeoutMs + " ms: "
                + get(gw, "/config/rollout"));
    }

    static boolean failed(PacedLoad.Sample s) {
        return s.status() == 0 || s.status() >= 500;
    }

    static long failures(List<PacedLoad.Sample> samples) {
        return samples.stream().filter(ReleaseDrills::failed).count();
    }

    /** An external auth service that allows every call as one consumer, on its own threads. */
    static final class AnsweringAuth implements AutoCloseable {
        private final ExecutorService executor = Executors.newFixedThreadPool(4);
        private final HttpServer server;
        private final AtomicInteger checks = new AtomicInteger();

        AnsweringAuth(int port) throws IOException {
            server = bindSoon(port);
            server.setExecutor(executor);
            byte[] body = "{\"allow\": true, \"consumer\": \"app-user\"}".getBytes(StandardCharsets.UTF_8);
            server.createContext("/check", exchange -> {
                exchange.getRequestBody().readAllBytes();
                checks.incrementAndGet();
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
        }

        /**
         * Binds the port a silent server just left, retrying for up to 10 s: a bind right after its close was refused
         * ("Address already in use") about one CI run in four, though both sockets ask for SO_REUSEADDR and the port
         * is outside the range outgoing connections take theirs from; what held it was not pinned down. A service
         * that restarts on its port retries the same way.
         */
        private static HttpServer bindSoon(int port) throws IOException {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try {
                    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
                } catch (java.net.BindException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }

        int checks() {
            return checks.get();
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
