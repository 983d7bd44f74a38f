package io.palisade.auth;

import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Requests, waits and real loopback servers for the auth tests. */
final class AuthTesting {
    private AuthTesting() {}

    static AuthRequest request(String method, String path, String query, String... headerPairs) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < headerPairs.length; i += 2) {
            h.add(headerPairs[i], headerPairs[i + 1]);
        }
        return new AuthRequest(method, path, query, h, "127.0.0.1");
    }

    static AuthRequest get(String path, String... headerPairs) {
        return request("GET", path, "", headerPairs);
    }

    /** Waits for the decision to arrive (the stage itself is bounded by the providers' deadlines). */
    static AuthDecision decision(CompletionStage<AuthDecision> stage) {
        CompletableFuture<AuthDecision> f = stage.toCompletableFuture();
        await().atMost(Duration.ofSeconds(20)).until(f::isDone);
        return f.join();
    }

    /** An HTTP server on 127.0.0.1 whose answer the test sets, counting the requests it gets. */
    static final class TestServer implements AutoCloseable {
        record Answer(int status, String body) {}

        final AtomicReference<Answer> answer = new AtomicReference<>(new Answer(200, ""));
        final AtomicInteger requests = new AtomicInteger();
        final List<String> bodies = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        TestServer() {
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext("/", this::handle);
            server.start();
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                requests.incrementAndGet();
                Answer a = answer.get();
                byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(a.status(), body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    exchange.getResponseBody().write(body);
                }
            }
        }

        void answer(int status, String body) {
            answer.set(new Answer(status, body));
        }

        String url(String path) {
            return "http://127.0.0.1:" + server.getAddress().getPort() + path;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** A loopback port with nothing listening. */
    static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
