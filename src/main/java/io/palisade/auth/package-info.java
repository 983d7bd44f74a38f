/**
 * Authentication and authorization of requests: API keys, JWTs from configured issuers, and external auth services.
 *
 * <p>The filter chain uses four things: {@link io.palisade.auth.AuthSettings} (parsed from the config),
 * {@link io.palisade.auth.RoutePolicy} (one per route), {@link io.palisade.auth.AuthService#authenticate} (returns a
 * {@link java.util.concurrent.CompletionStage} at once) and {@link io.palisade.auth.AuthHeaders} (what the upstream
 * sees).
 *
 * <pre>{@code
 * auth.authenticate(policy, new AuthRequest(method, path, rawQuery, request.headers(), remote))
 *     .whenComplete((decision, error) -> ctx.executor().execute(() -> {
 *         switch (decision) {
 *             case AuthDecision.Allowed a -> {
 *                 AuthHeaders.applyUpstream(request.headers(), a, policy);
 *                 request.setUri(AuthHeaders.upstreamUri(request.uri(), policy));
 *                 proxy(request);
 *             }
 *             case AuthDecision.Denied d -> reject(d.kind());                  // 401 or 403
 *             case AuthDecision.Unavailable u -> reject(u.kind());             // 503 + Retry-After
 *         }
 *     }));
 * }</pre>
 *
 * <p>Threading: {@code authenticate} never blocks (no I/O, no waiting, no lock held across I/O) and its stage never
 * completes exceptionally. It completes on whichever thread finished the work: the caller's (API keys, cached
 * decisions, tokens whose key is loaded), a JDK HTTP client or common-pool thread (after a fetch or call), or the JDK's
 * timeout thread (at a deadline). Every outbound call has a finite deadline, so every stage completes.
 * {@code update} may be called from any one control thread; requests see either the old view or the new one.
 */
package io.palisade.auth;
