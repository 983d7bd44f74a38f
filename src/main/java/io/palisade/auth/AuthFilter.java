package io.palisade.auth;

import io.netty.handler.codec.http.HttpRequest;
import io.palisade.error.ErrorKind;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.filter.FilterResult;
import io.palisade.filter.GatewayFilter;
import io.palisade.filter.RequestContext;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The gateway chain's authentication and authorization step: asks the {@link AuthService} about each request with its
 * route's {@link RoutePolicy}, then either lets it on (identity headers set, credentials stripped) or answers with the
 * decision's status: 401, 403, or 503 + Retry-After when an auth dependency could not answer (never 403 for that).
 *
 * <p>Built per config snapshot (policies are indexed by route); the service behind it lives across reloads.
 */
public final class AuthFilter implements GatewayFilter {
    private final AuthService service;
    private final AuthService.View view;
    private final RoutePolicy[] policies;
    private final AuthSettings settings;
    private final GatewayMetrics metrics;
    /** The service itself when it is this package's, whose API-key decisions can be had without a future. */
    private final DefaultAuthService local;

    private AuthFilter(AuthService service, AuthService.View view, List<RoutePolicy> policies,
                       GatewayMetrics metrics) {
        this.service = service;
        this.view = view;
        this.local = service instanceof DefaultAuthService d ? d : null;
        this.policies = policies.toArray(RoutePolicy[]::new);
        this.settings = view.settings();
        this.metrics = metrics;
    }

    /**
     * @param view     the snapshot's view of consumers, keys and providers ({@link AuthService#prepare})
     * @param policies one per route, in the snapshot's route order
     */
    public static AuthFilter create(AuthService service, AuthService.View view, List<RoutePolicy> policies,
                                    GatewayMetrics metrics) {
        return new AuthFilter(service, view, policies, metrics);
    }

    @Override
    public CompletionStage<FilterResult> filter(RequestContext ctx) {
        RoutePolicy policy = policies[ctx.routeIndex()];
        if (!policy.requiresAuth()) {
            // An open route: nothing to ask, but a client must still not pose as a consumer upstream.
            AuthHeaders.removeClientIdentityHeaders(ctx.request().headers());
            return FilterResult.PROCEED_STAGE;
        }
        HttpRequest http = ctx.request();
        if (local != null) {
            Verdict now = local.authenticateNow(view, policy, http.headers(), ctx.query(), http.method().name());
            if (now != null) {
                FilterResult r = apply(ctx, policy, now);
                return r.proceeds() ? FilterResult.PROCEED_STAGE : FilterResult.rejectStage(r.rejection());
            }
        }
        AuthRequest request = new AuthRequest(http.method().name(), ctx.path(), ctx.query(), http.headers(),
                ctx.clientIp(), ctx.clientCertificate());
        // The decision completes on the auth client's thread; what it changes (headers, URI, consumer) belongs to the
        // exchange, whose state only its event loop touches.
        return service.authenticate(view, policy, request)
                .thenApplyAsync(decision -> apply(ctx, policy, Verdict.of(decision)), ctx.eventLoop());
    }

    private FilterResult apply(RequestContext ctx, RoutePolicy policy, Verdict verdict) {
        String route = ctx.routeId();
        return switch (verdict.decision()) {
            case AuthDecision.Allowed allowed -> {
                AuthHeaders.applyUpstream(ctx.request().headers(), allowed, policy, verdict.groupsHeader());
                ctx.request().setUri(AuthHeaders.upstreamUri(ctx.request().uri(), policy));
                String consumer = allowed.identity().consumerId();
                if (!allowed.identity().isAnonymous()) {
                    ctx.consumer(consumer);
                }
                metrics.authDecision(route, AuthStats.ALLOWED, consumerLabel(consumer));
                yield FilterResult.PROCEED;
            }
            case AuthDecision.Denied denied -> {
                metrics.authDecision(route, denied.kind() == ErrorKind.FORBIDDEN ? AuthStats.FORBIDDEN
                        : AuthStats.UNAUTHENTICATED, denied.consumer().map(this::consumerLabel).orElse("-"));
                yield FilterResult.reject(denied.kind());
            }
            case AuthDecision.Unavailable unavailable -> {
                metrics.authDecision(route, AuthStats.UNAVAILABLE, "-");
                yield FilterResult.reject(ErrorKind.AUTH_UNAVAILABLE);
            }
        };
    }

    /** Configured consumers by id; anything else (a token's own subject) as "-", so labels stay bounded. */
    private String consumerLabel(String consumer) {
        return settings.consumers().containsKey(consumer) ? consumer : "-";
    }
}
