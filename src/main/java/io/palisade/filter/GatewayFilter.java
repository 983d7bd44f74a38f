package io.palisade.filter;

import java.util.concurrent.CompletionStage;

/**
 * One policy step of the gateway chain (authenticate, rate-limit, validate...), run for each request after it matched
 * a route and before it goes upstream. Filters are built per config snapshot, so route-specific policy is looked up by
 * {@link RequestContext#routeIndex()} in arrays built at load time.
 *
 * <p>A filter must not block: a synchronous decision returns {@link FilterResult#PROCEED_STAGE} or
 * {@link FilterResult#rejectStage}; an asynchronous one returns a stage that may complete on any thread (the chain hops
 * back to the connection's event loop).
 *
 * <pre>{@code
 * GatewayFilter requireTenant = ctx -> ctx.request().headers().contains("X-Tenant")
 *         ? FilterResult.PROCEED_STAGE
 *         : FilterResult.rejectStage(ErrorKind.UNAUTHENTICATED);
 * }</pre>
 */
@FunctionalInterface
public interface GatewayFilter {
    CompletionStage<FilterResult> filter(RequestContext ctx);
}
