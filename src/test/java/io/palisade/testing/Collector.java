package io.palisade.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A real HTTP server on loopback that ingest routes deliver to: keeps every request it gets (method, URI, headers,
 * the whole body) and answers what {@link #answer} says, so a test can check what arrived byte for byte, make some
 * records fail, and count deliveries per {@code Idempotency-Key}.
 */
public final class Collector implements AutoCloseable {
    /** One request as the collector received it. */
    public record Delivery(String method, String uri, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> byKey = new ConcurrentHashMap<>();
    private volatile Function<Delivery, Integer> answer = d -> 200;

    private Collector(HttpServer server) {
        this.server = server;
    }

    public static Collector start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            Collector c = new Collector(server);
            server.createContext("/", c::handle);
            server.setExecutor(Executors.newFixedThreadPool(8, r -> {
                Thread t = new Thread(r, "collector");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        Delivery d = new Delivery(ex.getRequestMethod(), ex.getRequestURI().toString(),
                Map.copyOf(ex.getRequestHeaders()), body);
        int status = answer.apply(d);
        if (status >= 200 && status < 300) {
            deliveries.add(d);
            String key = d.header("Idempotency-Key");
            if (key != null) {
                byKey.merge(key, 1, Integer::sum);
            }
        }
        ex.sendResponseHeaders(status, -1);
        ex.close();
    }

    /** What to answer each request with (default 200); only 2xx answers count as delivered. */
    public Collector answer(Function<Delivery, Integer> answer) {
        this.answer = answer;
        return this;
    }

    public String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Requests answered 2xx, in arrival order. */
    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    /** 2xx deliveries per Idempotency-Key. */
    public Map<String, Integer> byKey() {
        return Map.copyOf(byKey);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
