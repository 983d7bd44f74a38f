package io.palisade.release;

import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * The probe steps over HTTP(S) with the JDK client, which brings TLS and the HTTP/1.1 parsing. DNS and TCP are
 * checked first on a plain socket ({@link SocketChecks#connect}), so that those failures read the same as an
 * endpoint's; the client then makes its own connection for the request.
 */
final class HttpChecks {
    /** The JWKS fetch of the auth package takes at most this much; a bigger set would not load there either. */
    static final int MAX_JWKS_BYTES = 512 * 1024;

    /**
     * The HTTP client of one preflight run, made by the first probe that needs it: making one loads the TLS setup,
     * which can take seconds in a JVM that has not used TLS yet, and that time must count against a probe's deadline,
     * not come before it. No proxy and no redirects, as the gateway's own outbound calls.
     */
    static final class Client implements AutoCloseable {
        private HttpClient client; // guarded by this
        private boolean closed; // guarded by this

        synchronized HttpClient get() {
            if (closed) {
                throw new IllegalStateException("the preflight run is over");
            }
            if (client == null) {
                client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .proxy(HttpClient.Builder.NO_PROXY)
                        .build();
            }
            return client;
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (client != null) {
                client.shutdownNow();
            }
        }
    }

    private final ProbeAttempt attempt;
    private final Client clients;

    HttpChecks(ProbeAttempt attempt, Client clients) {
        this.attempt = attempt;
        this.clients = clients;
    }

    void http(Probe.Http h) throws ProbeAttempt.Failed, InterruptedException {
        reach(h.url());
        attempt.step("no answer within " + attempt.timeoutText());
        // Any status shows the service is there; the body is not needed, and closing the stream drops it unread.
        attempt.hold(get(h.url(), "", "*/*").body());
    }

    void jwks(Probe.Jwks j) throws ProbeAttempt.Failed, InterruptedException {
        reach(j.url());
        attempt.step("JWKS: no answer within " + attempt.timeoutText());
        HttpResponse<InputStream> response = get(j.url(), "JWKS: ", "application/json");
        InputStream body = attempt.hold(response.body());
        if (response.statusCode() / 100 != 2) {
            throw new ProbeAttempt.Failed("JWKS: HTTP " + response.statusCode());
        }
        attempt.step("JWKS: key set not received in full within " + attempt.timeoutText());
        byte[] bytes;
        try {
            // Unbounded by itself: a body trickled past the deadline is cut by the attempt's backstop.
            bytes = body.readNBytes(MAX_JWKS_BYTES + 1);
        } catch (IOException e) {
            throw attempt.ioFailure("JWKS: reading the key set failed (" + e.getMessage() + ")");
        }
        if (bytes.length > MAX_JWKS_BYTES) {
            throw new ProbeAttempt.Failed("JWKS: larger than " + MAX_JWKS_BYTES / 1024 + " KiB");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new ProbeAttempt.Failed("JWKS: not a JWK set (" + SocketChecks.printable(
                    String.valueOf(e.getMessage())) + ")");
        }
        if (set.getKeys().isEmpty()) {
            throw new ProbeAttempt.Failed("JWKS: no keys in the set");
        }
    }

    private void reach(URI url) throws ProbeAttempt.Failed {
        int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        try {
            new SocketChecks(attempt).connect(url.getHost(), port).close();
        } catch (IOException ignored) {
            // Connected is all this step wanted to know.
        }
    }

    private HttpResponse<InputStream> get(URI url, String prefix, String accept)
            throws ProbeAttempt.Failed, InterruptedException {
        String waiting = attempt.stalled();
        attempt.step("HTTP client not ready within " + attempt.timeoutText());
        HttpClient client = clients.get();
        attempt.step(waiting);
        long left = attempt.nanosLeft();
        HttpRequest request = HttpRequest.newBuilder(url).GET()
                .timeout(Duration.ofNanos(left))
                .header("User-Agent", SocketChecks.USER_AGENT)
                .header("Accept", accept)
                .build();
        CompletableFuture<HttpResponse<InputStream>> exchange;
        try {
            exchange = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (RuntimeException e) {
            throw new ProbeAttempt.Failed(prefix + "request not sent (" + e.getMessage() + ")");
        }
        attempt.hold(() -> exchange.cancel(true));
        try {
            return exchange.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw attempt.expired();
        } catch (ExecutionException e) {
            throw failure(e.getCause(), prefix);
        }
    }

    private ProbeAttempt.Failed failure(Throwable error, String prefix) {
        return switch (error) {
            case HttpConnectTimeoutException e -> new ProbeAttempt.Failed("TCP connect timed out after "
                    + attempt.timeoutText());
            case HttpTimeoutException e -> attempt.expired();
            case ConnectException e -> new ProbeAttempt.Failed(String.valueOf(rootMessage(e)).contains("refused")
                    ? "TCP connect refused" : "TCP connect failed (" + rootMessage(e) + ")");
            case SSLException e -> new ProbeAttempt.Failed("TLS: " + SocketChecks.printable(rootMessage(e)));
            case IOException e when String.valueOf(e.getMessage()).contains("no bytes") ->
                    attempt.ioFailure(prefix + "connection closed without an answer");
            case IOException e -> attempt.ioFailure(prefix + "not an HTTP response ("
                    + SocketChecks.printable(rootMessage(e)) + ")");
            default -> new ProbeAttempt.Failed(prefix + "request failed (" + error + ")");
        };
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
