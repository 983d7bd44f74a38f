package io.palisade.admin;

import static io.palisade.admin.Responses.error;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The {@code /ingest} resources of the admin port: {@code GET /ingest}, {@code GET /ingest/ROUTE/quarantine},
 * {@code GET /ingest/ROUTE/records/ID}, {@code POST /ingest/ROUTE/quarantine/replay} and
 * {@code DELETE /ingest/ROUTE/quarantine}. Checks paths, methods and bodies, hands each call to the {@link IngestApi}
 * and writes its reply on the connection's event loop. The caller has passed {@link AdminAuth} already.
 */
final class IngestRoutes {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;
    /** A route name as the config allows it, and a record id (UUID text): nothing else reaches the store. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern ID = Pattern.compile("[0-9a-fA-F-]{1,64}");

    private final IngestApi api;
    private final Refusals refusals;

    IngestRoutes(IngestApi api, Refusals refusals) {
        this.api = api;
        this.refusals = refusals;
    }

    static boolean handles(String path) {
        return path.equals("/ingest") || path.startsWith("/ingest/");
    }

    CompletionStage<Void> serve(ChannelHandlerContext ctx, AdminRequest r, Caller caller) {
        if (r.path().equals("/ingest")) {
            if (!r.reads()) {
                AdminHandler.methodNotAllowed(ctx, r.keepAlive(), "GET");
                return AdminHandler.DONE;
            }
            return ReleaseRoutes.write(ctx, r, call(api::status));
        }
        String[] parts = r.path().substring("/ingest/".length()).split("/", -1);
        if (parts.length < 2 || !NAME.matcher(parts[0]).matches()) {
            return notFound(ctx, r);
        }
        String route = parts[0];
        if (parts.length == 2 && parts[1].equals("quarantine")) {
            if (r.reads()) {
                Optional<Integer> limit = limit(ctx, r, caller);
                if (limit.isEmpty()) {
                    return AdminHandler.DONE;
                }
                return ReleaseRoutes.write(ctx, r, call(() -> api.quarantine(route, limit.get())));
            }
            if (r.method().equals(HttpMethod.DELETE)) {
                return selection(ctx, r, caller, (ids, all) -> api.purge(route, ids, all, caller));
            }
            AdminHandler.methodNotAllowed(ctx, r.keepAlive(), "GET, DELETE");
            return AdminHandler.DONE;
        }
        if (parts.length == 3 && parts[1].equals("quarantine") && parts[2].equals("replay")) {
            if (!r.method().equals(HttpMethod.POST)) {
                AdminHandler.methodNotAllowed(ctx, r.keepAlive(), "POST");
                return AdminHandler.DONE;
            }
            return selection(ctx, r, caller, (ids, all) -> api.replay(route, ids, all, caller));
        }
        if (parts.length == 3 && parts[1].equals("records") && ID.matcher(parts[2]).matches()) {
            if (!r.reads()) {
                AdminHandler.methodNotAllowed(ctx, r.keepAlive(), "GET");
                return AdminHandler.DONE;
            }
            return ReleaseRoutes.write(ctx, r, call(() -> api.record(route, parts[2])));
        }
        return notFound(ctx, r);
    }

    private interface Selection {
        CompletionStage<AdminReply> call(List<String> ids, boolean all);
    }

    /** {@code {"ids": [...]}} or {@code {"all": true}}, exactly one of them. */
    private CompletionStage<Void> selection(ChannelHandlerContext ctx, AdminRequest r, Caller caller, Selection call) {
        List<String> ids;
        boolean all;
        try {
            JsonBody body = JsonBody.parse(r.body(), false);
            ids = body.stringList("ids");
            all = body.bool("all");
        } catch (JsonBody.Malformed e) {
            badRequest(ctx, r, caller, "malformed_json", e.getMessage());
            return AdminHandler.DONE;
        }
        if (all == !ids.isEmpty()) {
            badRequest(ctx, r, caller, "invalid_selection",
                    "expected: {\"ids\": [\"...\"]} or {\"all\": true}, exactly one of them");
            return AdminHandler.DONE;
        }
        for (String id : ids) {
            if (!ID.matcher(id).matches()) {
                badRequest(ctx, r, caller, "invalid_selection", "ids: " + id.length() + " characters that are not"
                        + " a record id (expected: the ids GET /ingest/ROUTE/quarantine lists)");
                return AdminHandler.DONE;
            }
        }
        return ReleaseRoutes.write(ctx, r, call(() -> call.call(ids, all)));
    }

    private Optional<Integer> limit(ChannelHandlerContext ctx, AdminRequest r, Caller caller) {
        Optional<String> text = r.param("limit");
        if (text.isEmpty()) {
            return Optional.of(DEFAULT_LIMIT);
        }
        if (!text.get().matches("[0-9]{1,9}") || Integer.parseInt(text.get()) < 1) {
            badRequest(ctx, r, caller, "invalid_query", "limit: " + text.get() + " (expected: 1.." + MAX_LIMIT + ")");
            return Optional.empty();
        }
        return Optional.of(Math.min(Integer.parseInt(text.get()), MAX_LIMIT));
    }

    private static CompletionStage<AdminReply> call(java.util.function.Supplier<CompletionStage<AdminReply>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static CompletionStage<Void> notFound(ChannelHandlerContext ctx, AdminRequest r) {
        Responses.send(ctx, r.keepAlive(), HttpResponseStatus.NOT_FOUND,
                error("not_found", "No admin resource at this path."));
        return AdminHandler.DONE;
    }

    private void badRequest(ChannelHandlerContext ctx, AdminRequest r, Caller caller, String code, String message) {
        Responses.send(ctx, r.keepAlive(), HttpResponseStatus.BAD_REQUEST, error(code, message));
        refusals.report(caller, r.method().name(), r.path(), 400, message);
    }
}
