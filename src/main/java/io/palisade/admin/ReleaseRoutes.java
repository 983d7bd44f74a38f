package io.palisade.admin;

import static io.palisade.admin.Responses.error;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The release routes of the admin port ({@code /config/diff}, {@code /config/versions[/N]}, {@code /config/rollout[/
 * ACTION]}, {@code /config/rollback}, {@code /audit}): checks each call's method and body, hands it to the
 * {@link ReleaseApi}, and writes its reply on the connection's event loop when the stage completes. The caller has
 * passed {@link AdminAuth} already.
 */
final class ReleaseRoutes {
    private static final Logger log = LoggerFactory.getLogger(ReleaseRoutes.class);
    static final int DEFAULT_AUDIT_LIMIT = 1000;
    static final int MAX_AUDIT_LIMIT = 10_000;
    private static final String VERSIONS = "/config/versions/";
    private static final String ROLLOUT = "/config/rollout/";
    private static final Set<String> ROLLOUT_ACTIONS = Set.of("promote", "pause", "resume", "abort");
    /** A version number: no sign, no leading zero, and small enough for a long. */
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");

    private final ReleaseApi api;
    private final Refusals refusals;

    ReleaseRoutes(ReleaseApi api, Refusals refusals) {
        this.api = api;
        this.refusals = refusals;
    }

    /** The handler of one request body: the call it makes, or {@link JsonBody.Malformed} for a 400. */
    private interface BodyCall {
        CompletionStage<AdminReply> call(JsonBody body) throws JsonBody.Malformed;
    }

    CompletionStage<Void> serve(ChannelHandlerContext ctx, AdminRequest r, Caller caller) {
        String path = r.path();
        switch (path) {
            case "/config/diff" -> {
                return post(ctx, r, caller, false, body -> api.diff(body.requiredString("yaml")));
            }
            case "/config/versions" -> {
                if (r.method().equals(HttpMethod.GET)) {
                    return reply(ctx, r, api::versions);
                }
                return post(ctx, r, caller, false, "GET, POST", body -> api.apply(new ApplyRequest(
                        body.requiredString("yaml"), body.optString("message").orElse(""),
                        body.optString("author").orElse(""), body.bool("direct"), body.bool("force")), caller));
            }
            case "/config/rollout" -> {
                return get(ctx, r, api::rollout);
            }
            case "/config/rollback" -> {
                return post(ctx, r, caller, true, body -> api.rollback(body.optPositiveLong("version"), caller));
            }
            case "/audit" -> {
                return audit(ctx, r, caller);
            }
            default -> {
                if (path.startsWith(VERSIONS) && VERSION.matcher(path.substring(VERSIONS.length())).matches()) {
                    long number = Long.parseLong(path.substring(VERSIONS.length()));
                    return get(ctx, r, () -> api.version(number));
                }
                if (path.startsWith(ROLLOUT) && ROLLOUT_ACTIONS.contains(path.substring(ROLLOUT.length()))) {
                    String action = path.substring(ROLLOUT.length());
                    return post(ctx, r, caller, true, body -> api.rolloutControl(action, caller));
                }
                Responses.send(ctx, r.keepAlive(), HttpResponseStatus.NOT_FOUND,
                        error("not_found", "No admin resource at this path."));
                return AdminHandler.DONE;
            }
        }
    }

    private CompletionStage<Void> get(ChannelHandlerContext ctx, AdminRequest r,
                                      Supplier<CompletionStage<AdminReply>> call) {
        if (!r.method().equals(HttpMethod.GET)) {
            AdminHandler.methodNotAllowed(ctx, r.keepAlive(), "GET");
            return AdminHandler.DONE;
        }
        return reply(ctx, r, call);
    }

    private CompletionStage<Void> post(ChannelHandlerContext ctx, AdminRequest r, Caller caller,
                                       boolean emptyAllowed, BodyCall call) {
        return post(ctx, r, caller, emptyAllowed, "POST", call);
    }

    private CompletionStage<Void> post(ChannelHandlerContext ctx, AdminRequest r, Caller caller,
                                       boolean emptyAllowed, String allow, BodyCall call) {
        if (!r.method().equals(HttpMethod.POST)) {
            AdminHandler.methodNotAllowed(ctx, r.keepAlive(), allow);
            return AdminHandler.DONE;
        }
        CompletionStage<AdminReply> stage;
        try {
            JsonBody body = JsonBody.parse(r.body(), emptyAllowed);
            stage = call.call(body);
        } catch (JsonBody.Malformed e) {
            badRequest(ctx, r, caller, "malformed_json", e.getMessage());
            return AdminHandler.DONE;
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return write(ctx, r, stage);
    }

    private CompletionStage<Void> audit(ChannelHandlerContext ctx, AdminRequest r, Caller caller) {
        if (!r.method().equals(HttpMethod.GET)) {
            AdminHandler.methodNotAllowed(ctx, r.keepAlive(), "GET");
            return AdminHandler.DONE;
        }
        Optional<Instant> since = Optional.empty();
        int limit = DEFAULT_AUDIT_LIMIT;
        Optional<String> sinceText = r.param("since");
        Optional<String> limitText = r.param("limit");
        try {
            if (sinceText.isPresent()) {
                since = Optional.of(Instant.parse(sinceText.get()));
            }
        } catch (DateTimeParseException e) {
            badRequest(ctx, r, caller, "invalid_query", "since: " + sinceText.get()
                    + " (expected: an ISO-8601 instant like 2026-12-02T15:30:00Z)");
            return AdminHandler.DONE;
        }
        if (limitText.isPresent()) {
            String text = limitText.get();
            if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) < 1) {
                badRequest(ctx, r, caller, "invalid_query", "limit: " + text + " (expected: 1.." + MAX_AUDIT_LIMIT
                        + ")");
                return AdminHandler.DONE;
            }
            limit = Math.min(Integer.parseInt(text), MAX_AUDIT_LIMIT);
        }
        Optional<Instant> from = since;
        int max = limit;
        return reply(ctx, r, () -> api.audit(from, max));
    }

    private void badRequest(ChannelHandlerContext ctx, AdminRequest r, Caller caller, String code, String message) {
        Responses.send(ctx, r.keepAlive(), HttpResponseStatus.BAD_REQUEST, error(code, message));
        refusals.report(caller, r.method().name(), r.path(), 400, message);
    }

    private CompletionStage<Void> reply(ChannelHandlerContext ctx, AdminRequest r,
                                        Supplier<CompletionStage<AdminReply>> call) {
        CompletionStage<AdminReply> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return write(ctx, r, stage);
    }

    /** Writes the reply once the stage completes, on the connection's event loop; a failure is a bare 500. */
    static CompletionStage<Void> write(ChannelHandlerContext ctx, AdminRequest r,
                                               CompletionStage<AdminReply> stage) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        if (stage == null) {
            stage = CompletableFuture.failedFuture(new NullPointerException("ReleaseApi returned no stage"));
        }
        stage.whenCompleteAsync((reply, e) -> {
            try {
                if (e != null || reply == null) {
                    log.warn("admin {} {} failed", r.method(), r.path(), e);
                    Responses.send(ctx, r.keepAlive(), HttpResponseStatus.INTERNAL_SERVER_ERROR,
                            error("internal_error", "Admin request failed."));
                    return;
                }
                Responses.send(ctx, r.keepAlive(), HttpResponseStatus.valueOf(reply.status()),
                        Responses.json(reply.body()));
            } finally {
                written.complete(null);
            }
        }, ctx.executor());
        return written;
    }
}
