package io.palisade.admin;

import static io.palisade.admin.Responses.error;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The {@code /incidents} and {@code /maintenances} resources of the admin port: {@code GET/POST /incidents},
 * {@code GET/PATCH /incidents/ID}, {@code POST /incidents/ID/publish}, {@code PUT /incidents/ID/postmortem},
 * {@code GET/POST /maintenances}. Checks paths and methods, parses bodies (a malformed one is a 400 here), hands each
 * call to the {@link IncidentApi} and writes its reply. The caller has passed {@link AdminAuth} already.
 */
final class IncidentRoutes {
    /** An incident id as the book makes them: nothing else reaches it. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final IncidentApi api;
    private final Refusals refusals;

    IncidentRoutes(IncidentApi api, Refusals refusals) {
        this.api = api;
        this.refusals = refusals;
    }

    static boolean handles(String path) {
        return path.equals("/incidents") || path.startsWith("/incidents/") || path.equals("/maintenances");
    }

    CompletionStage<Void> serve(ChannelHandlerContext ctx, AdminRequest r, Caller caller) {
        if (r.path().equals("/maintenances")) {
            if (r.reads()) {
                return ReleaseRoutes.write(ctx, r, call(api::maintenances));
            }
            if (r.method().equals(HttpMethod.POST)) {
                return withBody(ctx, r, caller, body -> api.schedule(body, caller));
            }
            return methodNotAllowed(ctx, r, "GET, POST");
        }
        if (r.path().equals("/incidents")) {
            if (r.reads()) {
                return ReleaseRoutes.write(ctx, r, call(api::incidents));
            }
            if (r.method().equals(HttpMethod.POST)) {
                return withBody(ctx, r, caller, body -> api.open(body, caller));
            }
            return methodNotAllowed(ctx, r, "GET, POST");
        }
        String[] parts = r.path().substring("/incidents/".length()).split("/", -1);
        if (parts.length > 2 || !ID.matcher(parts[0]).matches()) {
            return notFound(ctx, r);
        }
        String id = parts[0];
        if (parts.length == 1) {
            if (r.reads()) {
                return ReleaseRoutes.write(ctx, r, call(() -> api.incident(id)));
            }
            if (r.method().equals(HttpMethod.PATCH)) {
                return withBody(ctx, r, caller, body -> api.update(id, body, caller));
            }
            return methodNotAllowed(ctx, r, "GET, PATCH");
        }
        if (parts[1].equals("publish")) {
            if (!r.method().equals(HttpMethod.POST)) {
                return methodNotAllowed(ctx, r, "POST");
            }
            return ReleaseRoutes.write(ctx, r, call(() -> api.publish(id, caller)));
        }
        if (parts[1].equals("postmortem")) {
            if (!r.method().equals(HttpMethod.PUT)) {
                return methodNotAllowed(ctx, r, "PUT");
            }
            Optional<String> text = postmortem(ctx, r, caller);
            if (text.isEmpty()) {
                return AdminHandler.DONE;
            }
            return ReleaseRoutes.write(ctx, r, call(() -> api.postmortem(id, text.get(), caller)));
        }
        return notFound(ctx, r);
    }

    private interface WithBody {
        CompletionStage<AdminReply> call(ObjectNode body);
    }

    private CompletionStage<Void> withBody(ChannelHandlerContext ctx, AdminRequest r, Caller caller, WithBody call) {
        ObjectNode body;
        try {
            body = object(r.body());
        } catch (JsonBody.Malformed e) {
            badRequest(ctx, r, caller, e.getMessage());
            return AdminHandler.DONE;
        }
        return ReleaseRoutes.write(ctx, r, call(() -> call.call(body)));
    }

    /** The body as text, or a JSON object {@code {"body": "..."}} when it starts with a brace. */
    private Optional<String> postmortem(ChannelHandlerContext ctx, AdminRequest r, Caller caller) {
        String text = new String(r.body(), StandardCharsets.UTF_8);
        if (!text.stripLeading().startsWith("{")) {
            return Optional.of(text);
        }
        try {
            JsonNode body = object(r.body()).get("body");
            if (body == null || !body.isTextual()) {
                badRequest(ctx, r, caller, "body: missing or not a string (expected: {\"body\": \"...\"} or the"
                        + " postmortem as text)");
                return Optional.empty();
            }
            return Optional.of(body.textValue());
        } catch (JsonBody.Malformed e) {
            badRequest(ctx, r, caller, e.getMessage());
            return Optional.empty();
        }
    }

    private static ObjectNode object(byte[] body) throws JsonBody.Malformed {
        JsonNode node;
        try {
            node = STRICT.readTree(body);
        } catch (JsonProcessingException e) {
            throw new JsonBody.Malformed("not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new JsonBody.Malformed("not JSON");
        }
        if (!(node instanceof ObjectNode o)) {
            throw new JsonBody.Malformed("not a JSON object (expected: a JSON object)");
        }
        return o;
    }

    private static CompletionStage<AdminReply> call(Supplier<CompletionStage<AdminReply>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static CompletionStage<Void> methodNotAllowed(ChannelHandlerContext ctx, AdminRequest r, String allow) {
        AdminHandler.methodNotAllowed(ctx, r.keepAlive(), allow);
        return AdminHandler.DONE;
    }

    private static CompletionStage<Void> notFound(ChannelHandlerContext ctx, AdminRequest r) {
        Responses.send(ctx, r.keepAlive(), HttpResponseStatus.NOT_FOUND,
                error("not_found", "No admin resource at this path."));
        return AdminHandler.DONE;
    }

    private void badRequest(ChannelHandlerContext ctx, AdminRequest r, Caller caller, String message) {
        Responses.send(ctx, r.keepAlive(), HttpResponseStatus.BAD_REQUEST, error("malformed_json", message));
        refusals.report(caller, r.method().name(), r.path(), 400, message);
    }
}
