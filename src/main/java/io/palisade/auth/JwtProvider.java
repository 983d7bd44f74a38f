package io.palisade.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.palisade.error.ErrorKind;
import io.palisade.time.Ticker;
import java.security.GeneralSecurityException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Bearer JWTs from one issuer. The cheap checks (algorithm, issuer, audience, expiry, identity claim) run before any
 * key lookup, so a token meant for another issuer never causes a key set fetch; claims are trusted only once the
 * signature verifies.
 *
 * <p>Outcomes: a bad token (malformed, wrong algorithm, issuer or audience, expired, not yet valid, bad signature,
 * unknown key while the key server answers) is UNAUTHENTICATED. No key set ever loaded, or an unknown key while the
 * key server cannot be reached, is Unavailable: the gateway cannot tell, so it must not say "invalid".
 */
final class JwtProvider implements Provider {
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;
    private static final int MAX_GROUPS = 256;

    private final AuthSettings.Jwt settings;
    private final String id;
    private final Clock clock;
    private final Optional<JwksSource> source;
    private final Optional<MACVerifier> hmac;

    JwtProvider(AuthSettings.Jwt settings, HttpCalls http, Ticker ticker, Clock clock,
                ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.id = settings.providerId();
        this.clock = clock;
        boolean needsKeySet = settings.algorithms().stream().anyMatch(a -> !a.equals(AuthSettings.HS256));
        this.source = needsKeySet && settings.jwksUrl().isPresent()
                ? Optional.of(new JwksSource(settings, settings.jwksUrl().get(), http, ticker, scheduler))
                : Optional.empty();
        try {
            this.hmac = settings.hs256Secret().isPresent()
                    ? Optional.of(new MACVerifier(settings.hs256Secret().get().bytes()))
                    : Optional.empty();
        } catch (JOSEException e) {
            throw new IllegalArgumentException(id + ": unusable hs256_secret", e);
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Object settings() {
        return settings;
    }

    /**
     * Takes over the key set of the provider this one replaces when both fetch it from the same URL: a failed
     * refresh keeps the last good key set, and so must a reload that only changed other settings.
     */
    void inheritKeys(JwtProvider previous) {
        if (source.isPresent() && previous.source.isPresent()
                && source.get().url().equals(previous.source.get().url())) {
            previous.source.get().current().ifPresent(source.get()::inherit);
        }
    }

    @Override
    public void start() {
        source.ifPresent(JwksSource::start);
    }

    /** Fetches the key set now; completes when the fetch ends, whether it succeeded or not. */
    CompletableFuture<Void> refresh() {
        return source.map(s -> s.refresh().<Void>thenApply(f -> null))
                .orElseGet(() -> CompletableFuture.completedFuture(null));
    }

    @Override
    public Optional<Attempt> prepare(AuthRequest request, AuthView view) {
        List<String> values = request.headers().getAll(HttpHeaderNames.AUTHORIZATION);
        List<String> bearer = values.stream().filter(JwtProvider::isBearer).toList();
        if (bearer.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            AuthDecision d = denied("several Authorization headers");
            return Optional.of(() -> CompletableFuture.completedFuture(d));
        }
        String token = bearer.get(0).substring(7).trim();
        Map<String, AuthSettings.Consumer> consumers = view.settings().consumers();
        return Optional.of(() -> verify(token, consumers));
    }

    private static boolean isBearer(String value) {
        return value.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    CompletionStage<AuthDecision> verify(String token, Map<String, AuthSettings.Consumer> consumers) {
        if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            return done(denied("malformed token"));
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            // Nimbus throws NullPointerException for a header or claims set that is the JSON null (found by
            // JwtFuzzTest): any failure to parse is a malformed token, never an exception out of the filter.
            return done(denied("malformed token"));
        }
        JWSHeader header = jwt.getHeader();
        JWSAlgorithm alg = header.getAlgorithm();
        if (!settings.algorithms().contains(alg.getName())) {
            return done(denied("algorithm " + alg + " not allowed"));
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            return done(denied("unsupported critical header " + header.getCriticalParams()));
        }
        Optional<AuthDecision> bad = checkClaims(claims);
        if (bad.isPresent()) {
            return done(bad.get());
        }
        AuthDecision identified = identify(claims, consumers);
        if (!(identified instanceof AuthDecision.Allowed allowed)) {
            return done(identified);
        }
        if (alg.equals(JWSAlgorithm.HS256)) {
            return done(verifyHmac(jwt, allowed));
        }
        if (source.isEmpty()) {
            return done(denied("no key set for " + alg));
        }
        JwksSource keys = source.get();
        String kid = header.getKeyID() == null ? "" : header.getKeyID();
        Optional<JwtKeys> current = keys.current();
        if (current.isPresent()) {
            List<JwtKeys.Key> candidates = current.get().candidates(kid, alg);
            if (!candidates.isEmpty()) {
                return done(verifyWith(candidates, jwt, allowed));
            }
        }
        Optional<CompletableFuture<JwksSource.Fetch>> fetch = keys.refreshIfAllowed();
        if (fetch.isEmpty()) {
            if (current.isEmpty()) {
                return done(unavailable("no key set loaded (" + keys.lastError() + ")"));
            }
            return done(keys.lastFetchFailed()
                    ? unavailable("unknown key id and the key set cannot be fetched (" + keys.lastError() + ")")
                    : denied("unknown key id"));
        }
        return fetch.get().thenApply(f -> afterFetch(f, kid, alg, jwt, allowed));
    }

    private AuthDecision afterFetch(JwksSource.Fetch fetch, String kid, JWSAlgorithm alg, SignedJWT jwt,
                                    AuthDecision.Allowed allowed) {
        if (fetch.keys().isEmpty()) {
            return unavailable("no key set loaded (" + fetch.error() + ")");
        }
        List<JwtKeys.Key> candidates = fetch.keys().get().candidates(kid, alg);
        if (candidates.isEmpty()) {
            return fetch.ok() ? denied("unknown key id")
                    : unavailable("unknown key id and the key set cannot be fetched (" + fetch.error() + ")");
        }
        return verifyWith(candidates, jwt, allowed);
    }

    private AuthDecision verifyWith(List<JwtKeys.Key> candidates, SignedJWT jwt, AuthDecision.Allowed allowed) {
        for (JwtKeys.Key key : candidates) {
            try {
                if (key.check().verify(jwt)) {
                    return allowed;
                }
            } catch (JOSEException | GeneralSecurityException e) {
                // A signature that cannot even be checked with this key is a bad signature for it.
            }
        }
        return denied("invalid signature");
    }

    private AuthDecision verifyHmac(SignedJWT jwt, AuthDecision.Allowed allowed) {
        if (hmac.isEmpty()) {
            return denied("algorithm HS256 not allowed");
        }
        try {
            return jwt.verify(hmac.get()) ? allowed : denied("invalid signature");
        } catch (JOSEException e) {
            return denied("invalid signature");
        }
    }

    private Optional<AuthDecision> checkClaims(JWTClaimsSet claims) {
        if (!settings.issuer().equals(claims.getIssuer())) {
            return Optional.of(denied("wrong issuer"));
        }
        List<String> aud = claims.getAudience();
        if (aud == null || aud.stream().noneMatch(settings.audiences()::contains)) {
            return Optional.of(denied("wrong audience"));
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return Optional.of(denied("token has no expiry"));
        }
        if (now.isAfter(exp.toInstant().plus(settings.clockSkew()))) {
            return Optional.of(denied("token expired"));
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(settings.clockSkew()).isBefore(nbf.toInstant())) {
            return Optional.of(denied("token not yet valid"));
        }
        return Optional.empty();
    }

    private AuthDecision identify(JWTClaimsSet claims, Map<String, AuthSettings.Consumer> consumers) {
        Object subject = claims.getClaim(settings.consumerClaim());
        if (!(subject instanceof String who) || !Names.isPrintableToken(who, 256)) {
            return denied("token has no usable " + settings.consumerClaim() + " claim");
        }
        Set<String> groups = new LinkedHashSet<>(tokens(claims.getClaim(settings.groupsClaim())));
        AuthSettings.Consumer consumer = consumers.get(who);
        if (consumer != null) {
            groups.addAll(consumer.groups());
        }
        Set<String> scopes = tokens(claims.getClaim(settings.scopesClaim()));
        return new AuthDecision.Allowed(new Identity(who, groups, id, scopes), Map.of());
    }

    /**
     * A claim holding names: a JSON array of strings or one space-separated string. Names that could not be passed
     * safely in a header are dropped rather than failing an otherwise valid token.
     */
    private static Set<String> tokens(Object claim) {
        Set<String> out = new LinkedHashSet<>();
        if (claim instanceof String s) {
            for (String part : s.trim().split("\\s+")) {
                addToken(out, part);
            }
        } else if (claim instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof String s) {
                    addToken(out, s);
                }
            }
        }
        return out;
    }

    private static void addToken(Set<String> out, String s) {
        if (out.size() < MAX_GROUPS && Names.isPrintableToken(s, 128)) {
            out.add(s);
        }
    }

    private static AuthDecision denied(String reason) {
        return new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, reason);
    }

    private AuthDecision unavailable(String reason) {
        return new AuthDecision.Unavailable(id, reason);
    }

    private static CompletionStage<AuthDecision> done(AuthDecision d) {
        return CompletableFuture.completedFuture(d);
    }

    @Override
    public void contribute(AuthStats.Builder stats) {
        source.ifPresent(s -> stats.jwks(id, s.current().map(JwtKeys::size).orElse(0), s.fetchCount(),
                s.failureCount()));
    }

    @Override
    public void close() {
        source.ifPresent(JwksSource::close);
    }
}
