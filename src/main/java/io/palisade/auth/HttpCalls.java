package io.palisade.auth;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Outbound HTTP for auth: the JDK client, which does its I/O on its own threads, with a hard deadline on the whole
 * exchange (headers and body) and a cap on the body size. A wrong or dead address costs one deadline, never a thread
 * (seed 004).
 */
final class HttpCalls implements AutoCloseable {
    private final ExecutorService executor;
    private final HttpClient client;

    HttpCalls() {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "palisade-auth-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = Executors.newFixedThreadPool(2, threads);
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                // The per-call deadline below is what callers wait for; this only bounds a lingering connect.
                .connectTimeout(Duration.ofSeconds(10))
                .executor(executor)
                .build();
    }

    /**
     * Sends {@code request}; the stage fails with {@link java.util.concurrent.TimeoutException} or
     * {@link java.net.http.HttpTimeoutException} once {@code deadline} has passed, whatever the server does.
     */
    CompletableFuture<HttpResponse<byte[]>> send(HttpRequest.Builder request, Duration deadline, int maxBody) {
        CompletableFuture<HttpResponse<byte[]>> exchange;
        try {
            exchange = client.sendAsync(request.timeout(deadline).build(), info -> new LimitedBody(maxBody));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        // HttpRequest.timeout covers only the wait for response headers; a server that sends headers and then stalls
        // the body is cut off here.
        CompletableFuture<HttpResponse<byte[]>> bounded = exchange.copy()
                .orTimeout(deadline.toNanos(), TimeUnit.NANOSECONDS);
        bounded.whenComplete((r, e) -> {
            if (e != null) {
                exchange.cancel(true);
            }
        });
        return bounded;
    }

    /** A short reason for a failed exchange, for logs and {@link AuthDecision.Unavailable#reason()}. */
    static String describe(Throwable error) {
        Throwable t = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.http.HttpTimeoutException) {
            return "timed out";
        }
        if (t instanceof java.net.ConnectException) {
            return "connection failed";
        }
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    @Override
    public void close() {
        client.shutdownNow();
        executor.shutdownNow();
    }

    /** Collects a response body, failing once it grows past {@code max} bytes. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final int max;
        private byte[] buffer = new byte[256];
        private int size;
        private Flow.Subscription subscription;

        LimitedBody(int max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                int n = b.remaining();
                if (size + n > max) {
                    subscription.cancel();
                    result.completeExceptionally(new IOException("response body larger than " + max + " bytes"));
                    return;
                }
                if (size + n > buffer.length) {
                    buffer = java.util.Arrays.copyOf(buffer, Math.min(max, Math.max(size + n, buffer.length * 2)));
                }
                b.get(buffer, size, n);
                size += n;
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(java.util.Arrays.copyOf(buffer, size));
        }
    }
}
