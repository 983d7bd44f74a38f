package io.palisade.drills;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToIntFunction;
import java.util.zip.CRC32;

/**
 * The ingest drills' upstream: a real HTTP server on a fixed loopback port (so a drill can point a cluster at it
 * before it listens, and start it later) that plays a collector deduplicating by {@code Idempotency-Key}, the record id
 * the gateway sets on every delivery. It answers what {@link #answer} says for each request (200 by default), and
 * counts: deliveries it accepted (2xx), duplicates (a 2xx for a key it had already accepted), refusals (non-2xx) and
 * deliveries without a key. For each accepted key it keeps what arrived (path, body length and CRC-32, the drill's
 * sequence header), so a drill can compare it with what the client sent.
 */
final class CountingUpstream implements AutoCloseable {
    /** A request as the collector saw it, for its status decision. */
    record Request(String method, String uri, Headers headers, byte[] body) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    /** The first accepted delivery of one key, and how many times that key was accepted in all. */
    record Delivery(String key, String method, String uri, String seq, int bodyBytes, long crc, int times) {}

    private final int port;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final Map<String, Delivery> accepted = new ConcurrentHashMap<>();
    private final LongAdder deliveries = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder withoutKey = new LongAdder();
    private final AtomicLong firstAcceptedNanos = new AtomicLong();
    private final AtomicLong lastAcceptedNanos = new AtomicLong();
    private final AtomicReference<ToIntFunction<Request>> answer = new AtomicReference<>(r -> 200);
    private HttpServer server;

    private CountingUpstream(int port) {
        this.port = port;
    }

    /** A collector for {@code port} that does not listen yet: connections to the port are refused until {@link #start}. */
    static CountingUpstream on(int port) {
        return new CountingUpstream(port);
    }

    /** A collector listening on a free loopback port. */
    static CountingUpstream started() throws IOException {
        return on(Ports.free()).start();
    }

    synchronized CountingUpstream start() throws IOException {
        if (server != null) {
            return this;
        }
        // The JDK binds with SO_REUSEADDR, so the gateway's earlier refused or closed connections do not block it.
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                        exchange.getRequestHeaders(), body);
                int status = answer.get().applyAsInt(request);
                String key = request.header("Idempotency-Key");
                if (status / 100 == 2) {
                    if (key == null) {
                        withoutKey.increment();
                    } else {
                        count(key, request);
                    }
                } else {
                    refused.increment();
                }
                byte[] out = (status / 100 == 2 ? "{\"ok\":true}" : "{\"error\":\"refused by the drill\"}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, out.length);
                exchange.getResponseBody().write(out);
            }
        });
        server.start();
        return this;
    }

    private void count(String key, Request request) {
        long now = System.nanoTime();
        deliveries.increment();
        firstAcceptedNanos.compareAndSet(0, now);
        lastAcceptedNanos.accumulateAndGet(now, Math::max);
        CRC32 crc = new CRC32();
        crc.update(request.body());
        Delivery first = new Delivery(key, request.method(), request.uri(), request.header("X-Drill-Seq"),
                request.body().length, crc.getValue(), 1);
        Delivery before = accepted.putIfAbsent(key, first);
        if (before != null) {
            duplicates.increment();
            accepted.computeIfPresent(key, (k, d) -> new Delivery(d.key(), d.method(), d.uri(), d.seq(),
                    d.bodyBytes(), d.crc(), d.times() + 1));
        }
    }

    /** Stops listening: connections are refused again (the counts stay). */
    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    /** How to answer each request from now on (the status; a 2xx counts as accepted). */
    void answer(ToIntFunction<Request> statusFor) {
        answer.set(statusFor);
    }

    int port() {
        return port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Accepted keys and what first arrived with each. */
    Map<String, Delivery> accepted() {
        return Map.copyOf(accepted);
    }

    /** Accepted deliveries, duplicates included. */
    long deliveries() {
        return deliveries.sum();
    }

    long duplicates() {
        return duplicates.sum();
    }

    long refused() {
        return refused.sum();
    }

    long withoutKey() {
        return withoutKey.sum();
    }

    /** System.nanoTime() of the first and the last accepted delivery (0 before any). */
    long firstAcceptedNanos() {
        return firstAcceptedNanos.get();
    }

    long lastAcceptedNanos() {
        return lastAcceptedNanos.get();
    }

    static long crc(byte[] body) {
        CRC32 crc = new CRC32();
        crc.update(body);
        return crc.getValue();
    }

    @Override
    public void close() {
        stop();
        executor.shutdownNow();
    }
}
