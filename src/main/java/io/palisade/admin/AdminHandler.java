package io.palisade.admin;

import static io.palisade.admin.Responses.error;
import static io.palisade.admin.Responses.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.palisade.metrics.GatewayMetrics;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port's front door, one per connection: the probes answer anyone; every other call passes
 * {@link AdminAuth} first, then goes to its resource here ({@code /alerts} to the {@link AlertApi}), to
 * {@link ReleaseRoutes}, to {@link IngestRoutes} or to
 * {@link IncidentRoutes}. Anything else is a JSON 404/405.
 *
 * <p>Answers may come later than the request (the release manager completes on its own thread), and HTTP/1.1 wants
 * them in request order: each request waits for the one before it to be answered, and the connection reads nothing
 * more while one is pending, so a pipelining client cannot queue up bodies of a megabyte each.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final AdminBackend backend;
    private final AdminAuth auth;
    private final Refusals refusals;
    private final ReleaseRoutes releases;
    private final IngestRoutes ingest;
    private final AlertApi alerts;
    private final IncidentRoutes incidents;
    /** Completes once the last request read so far is answered; touched only on the channel's event loop. */
    private CompletableFuture<Void> answered = DONE;
    private int pending;

    AdminHandler(AdminBackend backend, AdminAuth auth, Refusals refusals, ReleaseRoutes releases,
                 IngestRoutes ingest, AlertApi alerts, IncidentRoutes incidents) {
        this.backend = backend;
        this.auth = auth;
        this.refusals = refusals;
        this.releases = releases;
        this.ingest = ingest;
        this.alerts = alerts;
        this.incidents = incidents;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            Responses.send(ctx, false, HttpResponseStatus.BAD_REQUEST,
                    error("malformed_request", "Malformed request."));
            return;
        }
        AdminRequest request;
        try {
            request = AdminRequest.of(req);
        } catch (IllegalArgumentException e) {
            // A malformed percent-escape in the query (found by AdminBodyFuzzTest): it used to reach exceptionCaught,
            // which closed the connection without an answer.
            Responses.send(ctx, false, HttpResponseStatus.BAD_REQUEST,
                    error("malformed_request", "Malformed query string."));
            return;
        }
        pending++;
        ctx.channel().config().setAutoRead(false);
        // Every stage in this chain completes on the event loop, so the next request starts there too.
        answered = answered.thenCompose(v -> serveSafely(ctx, request)).whenComplete((v, e) -> {
            if (--pending == 0) {
                ctx.channel().config().setAutoRead(true);
            }
        });
    }

    private CompletionStage<Void> serveSafely(ChannelHandlerContext ctx, AdminRequest r) {
        try {
            return serve(ctx, r);
        } catch (RuntimeException e) {
            log.warn("admin request {} {} failed", r.method(), r.path(), e);
            Responses.send(ctx, false, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    error("internal_error", "Admin request failed."));
            return DONE;
        }
    }

    private CompletionStage<Void> serve(ChannelHandlerContext ctx, AdminRequest r) {
        switch (r.path()) {
            case "/healthz" -> get(ctx, r, () -> json(status("ok")));
            case "/readyz" -> readyz(ctx, r);
            case "/metrics" -> {
                if (auth.metricsNeedToken()) {
                    Caller caller = auth.identify(ctx.channel().remoteAddress(), r.authorization());
                    Optional<AdminAuth.Refusal> refusal = auth.check(caller, r.authorization(), !r.reads());
                    if (refusal.isPresent()) {
                        refuse(ctx, r, caller, refusal.get());
                        return DONE;
                    }
                }
                metrics(ctx, r);
            }
            default -> {
                return authorized(ctx, r);
            }
        }
        return DONE;
    }

    private CompletionStage<Void> authorized(ChannelHandlerContext ctx, AdminRequest r) {
        Caller caller = auth.identify(ctx.channel().remoteAddress(), r.authorization());
        Optional<AdminAuth.Refusal> refusal = auth.check(caller, r.authorization(), !r.reads());
        if (refusal.isPresent()) {
            refuse(ctx, r, caller, refusal.get());
            return DONE;
        }
        switch (r.path()) {
            case "/config" -> get(ctx, r, () -> json(backend.config()));
            case "/clusters" -> get(ctx, r, () -> json(backend.clusters()));
            case "/config/reload" -> {
                return reload(ctx, r);
            }
            case "/alerts" -> {
                if (!r.reads()) {
                    methodNotAllowed(ctx, r.keepAlive(), "GET, HEAD");
                    return DONE;
                }
                return ReleaseRoutes.write(ctx, r, alertsReply());
            }
            default -> {
                if (IngestRoutes.handles(r.path())) {
                    return ingest.serve(ctx, r, caller);
                }
                if (IncidentRoutes.handles(r.path())) {
                    return incidents.serve(ctx, r, caller);
                }
                return releases.serve(ctx, r, caller);
            }
        }
        return DONE;
    }

    private CompletionStage<AdminReply> alertsReply() {
        try {
            return alerts.alerts();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void refuse(ChannelHandlerContext ctx, AdminRequest r, Caller caller, AdminAuth.Refusal refusal) {
        FullHttpResponse response = Responses.json(refusal.status(), error(refusal.code(), refusal.message()));
        if (refusal.status().equals(HttpResponseStatus.UNAUTHORIZED)) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        if (refusal.retryAfterSeconds() > 0) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, refusal.retryAfterSeconds());
        }
        Responses.write(ctx, r.keepAlive(), response);
        refusals.report(caller, r.method().name(), r.path(), refusal.status().code(), refusal.reason());
    }

    private void get(ChannelHandlerContext ctx, AdminRequest r, Supplier<byte[]> body) {
        if (!r.reads()) {
            methodNotAllowed(ctx, r.keepAlive(), "GET, HEAD");
            return;
        }
        Responses.send(ctx, r.keepAlive(), HttpResponseStatus.OK, body.get());
    }

    private void readyz(ChannelHandlerContext ctx, AdminRequest r) {
        if (!r.reads()) {
            methodNotAllowed(ctx, r.keepAlive(), "GET, HEAD");
            return;
        }
        boolean ready = backend.ready();
        Responses.send(ctx, r.keepAlive(), ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                json(status(ready ? "ready" : "not_ready")));
    }

    private void metrics(ChannelHandlerContext ctx, AdminRequest r) {
        if (!r.method().equals(HttpMethod.GET)) {
            methodNotAllowed(ctx, r.keepAlive(), "GET");
            return;
        }
        byte[] text = backend.metrics().getBytes(StandardCharsets.UTF_8);
        Responses.write(ctx, r.keepAlive(), Responses.response(HttpResponseStatus.OK, text,
                GatewayMetrics.contentType()));
    }

    private CompletionStage<Void> reload(ChannelHandlerContext ctx, AdminRequest r) {
        if (!r.method().equals(HttpMethod.POST)) {
            methodNotAllowed(ctx, r.keepAlive(), "POST");
            return DONE;
        }
        CompletableFuture<Void> written = new CompletableFuture<>();
        backend.reload().whenCompleteAsync((result, e) -> {
            try {
                if (e != null) {
                    log.warn("reload failed", e);
                    Responses.send(ctx, false, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                            error("internal_error", "Reload failed."));
                    return;
                }
                ObjectNode body = Responses.JSON.createObjectNode();
                body.put("applied", result.applied());
                body.put("version", result.version());
                body.putPOJO("errors", result.errors());
                Responses.send(ctx, r.keepAlive(), result.applied() ? HttpResponseStatus.OK
                        : HttpResponseStatus.UNPROCESSABLE_ENTITY, json(body));
            } finally {
                written.complete(null);
            }
        }, ctx.executor());
        return written;
    }

    static void methodNotAllowed(ChannelHandlerContext ctx, boolean keepAlive, String allow) {
        FullHttpResponse r = Responses.json(HttpResponseStatus.METHOD_NOT_ALLOWED,
                error("method_not_allowed", "Method not allowed."));
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        Responses.write(ctx, keepAlive, r);
    }

    private static ObjectNode status(String s) {
        return Responses.JSON.createObjectNode().put("status", s);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
