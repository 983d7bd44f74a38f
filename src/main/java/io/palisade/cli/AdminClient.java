package io.palisade.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The admin API as the CLI calls it: JSON in, JSON out, the bearer token on every call when there is one. A body
 * that is not JSON (a proxy's error page) comes back as {@code {"error": "http_STATUS", "message": ...}}.
 */
final class AdminClient {
    static final ObjectMapper JSON = new ObjectMapper();
    /** An apply validates and pre-flights the config before it answers; the rest answer at once. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** What the admin API answered. */
    record Reply(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** The admin API could not be asked: nothing listening, no route, no answer in time. */
    static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message, null, false, false);
        }
    }

    private final URI base;
    private final Optional<String> token;
    private final HttpClient http;

    AdminClient(URI base, Optional<String> token) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = token;
        // HTTP/1.1 outright: the admin port does not speak HTTP/2, and an h2c upgrade offer on every call is noise.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    URI base() {
        return base;
    }

    boolean hasToken() {
        return token.isPresent();
    }

    Reply get(String pathAndQuery) throws Unreachable {
        return send(request(pathAndQuery).GET());
    }

    Reply post(String path, Optional<JsonNode> body) throws Unreachable {
        HttpRequest.Builder b = request(path);
        if (body.isPresent()) {
            b.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.get().toString(), StandardCharsets.UTF_8));
        } else {
            b.POST(HttpRequest.BodyPublishers.noBody());
        }
        return send(b);
    }

    Reply patch(String path, JsonNode body) throws Unreachable {
        return send(request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)));
    }

    /** A text body as it is (a postmortem in Markdown). */
    Reply put(String path, String text) throws Unreachable {
        return send(request(path).header("Content-Type", "text/plain; charset=utf-8")
                .PUT(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8)));
    }

    Reply delete(String path, JsonNode body) throws Unreachable {
        return send(request(path).header("Content-Type", "application/json")
                .method("DELETE", HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)));
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(TIMEOUT)
                .header("Accept", "application/json");
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return b;
    }

    private Reply send(HttpRequest.Builder b) throws Unreachable {
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new Unreachable("cannot reach the admin API at " + base + " (connection refused: is the gateway"
                    + " running, and is --admin or PALISADE_ADMIN right?)");
        } catch (HttpTimeoutException e) {
            throw new Unreachable("the admin API at " + base + " did not answer in time (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new Unreachable("cannot reach the admin API at " + base + " (" + describe(e) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted while calling the admin API at " + base);
        }
        return new Reply(r.statusCode(), parse(r.statusCode(), r.body()));
    }

    private static JsonNode parse(int status, String body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && !node.isMissingNode()) {
                return node;
            }
        } catch (JsonProcessingException e) {
            // Not JSON: reported below as what it is.
        }
        ObjectNode error = JSON.createObjectNode().put("error", "http_" + status);
        String text = body.strip();
        error.put("message", text.length() > 200 ? text.substring(0, 200) + "..." : text);
        return error;
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
