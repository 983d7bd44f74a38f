package io.palisade.auth;

import static io.palisade.auth.AuthTesting.decision;
import static io.palisade.auth.AuthTesting.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.palisade.testing.SilentServer;
import io.palisade.auth.AuthTesting.TestServer;
import io.palisade.error.ErrorKind;
import io.palisade.testing.FakeTicker;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JwtAuthTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final String ISSUER = "http://127.0.0.1:7100";
    private static final String HMAC_SECRET = "0123456789abcdef0123456789abcdef";

    private static RSAKey rsa;
    private static RSAKey rsaRotated;
    private static RSAKey rsaImpostor;
    private static ECKey ec;
    private static KeyPair ed;
    private static OctetKeyPair edPublic;

    private final FakeTicker ticker = new FakeTicker();
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private TestServer jwks;
    private AuthService auth;
    private RoutePolicy route;

    @BeforeAll
    static void keys() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        rsaRotated = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        rsaImpostor = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = ed.getPublic().getEncoded();
        edPublic = new OctetKeyPair.Builder(Curve.Ed25519,
                Base64URL.encode(Arrays.copyOfRange(spki, spki.length - 32, spki.length))).keyID("ed-1").build();
    }

    @AfterEach
    void stop() {
        if (auth != null) {
            auth.close();
        }
        if (jwks != null) {
            jwks.close();
        }
    }

    private static String keySet(JWK... keys) {
        return new JWKSet(Arrays.stream(keys).map(JWK::toPublicJWK).toList()).toString();
    }

    /** Starts a JWKS server serving {@code keys} and a service whose {@code jwt:idp} points at it. */
    private void start(String jwksUrlOverride, String extra, JWK... keys) {
        if (jwksUrlOverride == null) {
            jwks = new TestServer();
            jwks.answer(200, keySet(keys));
        }
        String url = jwksUrlOverride != null ? jwksUrlOverride : jwks.url("/.well-known/jwks.json");
        // A short fetch deadline only where the unreachable key server is the subject: elsewhere a busy machine
        // must not turn the first fetch into a timeout (the retry is 10 s away).
        String fetchTimeout = jwksUrlOverride != null ? "300ms" : "2s";
        Yaml y = Yaml.of("""
                consumers:
                  acme: { groups: [orders-read] }
                auth:
                  jwt:
                    idp:
                      jwks_url: %s
                      issuer: %s
                      audiences: [orders-api]
                      clock_skew: 30s
                      fetch: { timeout: %s, refresh: 5m, min_interval: 10s }
                %s
                routes:
                  - auth: { any_of: [jwt:idp] }
                """.formatted(url, ISSUER, fetchTimeout, extra));
        route = y.route(0);
        y.errors.throwIfAny();
        auth = AuthService.builder(y.settings).ticker(ticker).clock(clock).build();
    }

    private void startAndLoad(JWK... keys) {
        start(null, "", keys);
        await().atMost(Duration.ofSeconds(10)).until(() -> auth.stats().jwks().get("jwt:idp").keys() == keys.length);
    }

    private static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience("orders-api").subject("user-1")
                .expirationTime(Date.from(NOW.plusSeconds(300))).issueTime(Date.from(NOW));
    }

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims)
            throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String rs256(RSAKey key, JWTClaimsSet claims) throws JOSEException {
        return sign(new RSASSASigner(key), JWSAlgorithm.RS256, key.getKeyID(), claims);
    }

    private static String es256(JWTClaimsSet claims) throws JOSEException {
        return sign(new ECDSASigner(ec), JWSAlgorithm.ES256, ec.getKeyID(), claims);
    }

    /** EdDSA by hand with the JDK: Nimbus's Ed25519 signer needs Tink. */
    private static String eddsa(JWTClaimsSet claims) throws GeneralSecurityException {
        String header = Base64URL.encode("{\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}").toString();
        String payload = Base64URL.encode(claims.toString()).toString();
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(ed.getPrivate());
        s.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
        return header + "." + payload + "." + Base64URL.encode(s.sign());
    }

    private AuthDecision withToken(String token) {
        return decision(auth.authenticate(route, get("/orders", "Authorization", "Bearer " + token)));
    }

    private static JWTClaimsSet claims(Consumer<JWTClaimsSet.Builder> change) {
        JWTClaimsSet.Builder b = claims();
        change.accept(b);
        return b.build();
    }

    @Test
    void validTokens_ofEveryKeyType_areAllowed() throws Exception {
        startAndLoad(rsa, ec, edPublic);
        JWTClaimsSet c = claims(b -> b.claim("groups", List.of("orders-read", "bad,group")));
        for (String token : List.of(rs256(rsa, c), es256(c), eddsa(c))) {
            AuthDecision d = withToken(token);
            assertThat(d).isInstanceOf(AuthDecision.Allowed.class);
            Identity who = ((AuthDecision.Allowed) d).identity();
            assertThat(who.consumerId()).isEqualTo("user-1");
            assertThat(who.provider()).isEqualTo("jwt:idp");
            assertThat(who.groups()).containsExactly("orders-read");
        }
        assertThat(jwks.requests.get()).isEqualTo(1);
    }

    @Test
    void subjectNamingAConsumer_getsTheConsumersGroups() throws Exception {
        startAndLoad(rsa);
        AuthDecision d = withToken(rs256(rsa, claims(b -> b.subject("acme").claim("groups", "extra"))));
        assertThat(((AuthDecision.Allowed) d).identity().groups()).containsExactlyInAnyOrder("orders-read", "extra");
    }

    @Test
    void badClaims_areUnauthenticated() throws Exception {
        startAndLoad(rsa);
        assertThat(withToken(rs256(rsa, claims(b -> b.expirationTime(Date.from(NOW.minusSeconds(31)))))))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "token expired"));
        assertThat(withToken(rs256(rsa, claims(b -> b.expirationTime(Date.from(NOW.minusSeconds(29)))))))
                .as("within the clock skew").isInstanceOf(AuthDecision.Allowed.class);
        assertThat(withToken(rs256(rsa, claims(b -> b.notBeforeTime(Date.from(NOW.plusSeconds(31)))))))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "token not yet valid"));
        assertThat(withToken(rs256(rsa, claims(b -> b.issuer("http://evil")))))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "wrong issuer"));
        assertThat(withToken(rs256(rsa, claims(b -> b.audience("billing-api")))))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "wrong audience"));
        assertThat(withToken(rs256(rsa, claims(b -> b.expirationTime(null)))))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "token has no expiry"));
        assertThat(withToken(rs256(rsa, claims(b -> b.subject(null)))).error())
                .contains(ErrorKind.UNAUTHENTICATED);
        assertThat(withToken("not-a-token"))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "malformed token"));
    }

    @Test
    void badSignatures_areUnauthenticated() throws Exception {
        startAndLoad(rsa, edPublic);
        assertThat(withToken(rs256(rsaImpostor, claims().build())))
                .as("same kid, other key").isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED,
                        "invalid signature"));
        String good = eddsa(claims().build());
        String tampered = good.substring(0, good.indexOf('.') + 1)
                + Base64URL.encode(claims(b -> b.subject("admin")).toString())
                + good.substring(good.lastIndexOf('.'));
        assertThat(withToken(tampered)).isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED,
                "invalid signature"));
        String hmacWithPublicKey = sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()), JWSAlgorithm.HS256,
                "rsa-1", claims().build());
        assertThat(withToken(hmacWithPublicKey)).as("algorithm confusion")
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "algorithm HS256 not allowed"));
    }

    @Test
    void unknownKid_refreshesTheKeySetOnce_thenIsRateLimited() throws Exception {
        startAndLoad(rsa);
        String rotated = rs256(rsaRotated, claims().build());

        assertThat(withToken(rotated)).isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED,
                "unknown key id"));
        assertThat(jwks.requests.get()).as("one refresh for the unknown kid").isEqualTo(2);

        jwks.answer(200, keySet(rsa, rsaRotated));
        ticker.advance(Duration.ofSeconds(9));
        assertThat(withToken(rotated).error()).contains(ErrorKind.UNAUTHENTICATED);
        assertThat(withToken(rs256(rsa, claims().build()))).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(jwks.requests.get()).as("rate limited").isEqualTo(2);

        ticker.advance(Duration.ofSeconds(1));
        assertThat(withToken(rotated)).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(jwks.requests.get()).isEqualTo(3);
    }

    @Test
    void burstOfMadeUpKids_fetchesTheKeySetOnce() throws Exception {
        startAndLoad(rsa);
        List<java.util.concurrent.CompletableFuture<AuthDecision>> all = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            RSAKey forged = new RSAKey.Builder(rsaImpostor).keyID("made-up-" + i).build();
            all.add(auth.authenticate(route, get("/o", "Authorization", "Bearer " + rs256(forged, claims().build())))
                    .toCompletableFuture());
        }
        for (var f : all) {
            assertThat(decision(f).error()).contains(ErrorKind.UNAUTHENTICATED);
        }
        assertThat(jwks.requests.get()).isEqualTo(2);
    }

    @Test
    void keyServerDownAfterFirstLoad_keepsTheLastGoodKeys() throws Exception {
        startAndLoad(rsa, ec);
        jwks.close();
        decision(auth.refreshKeys().thenApply(v -> (AuthDecision) new AuthDecision.Unavailable("x", "x")));
        assertThat(auth.stats().jwks().get("jwt:idp").failures()).isEqualTo(1);

        assertThat(withToken(rs256(rsa, claims().build()))).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(withToken(es256(claims().build()))).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(withToken(rs256(rsaRotated, claims().build()))).as("cannot tell: 503, not 401")
                .isInstanceOf(AuthDecision.Unavailable.class);
    }

    @Test
    void updateThatRebuildsTheProvider_whileTheKeyServerIsDown_keepsTheLastGoodKeys() throws Exception {
        startAndLoad(rsa, ec);
        String url = jwks.url("/.well-known/jwks.json");
        jwks.close();
        auth.update(Yaml.valid("""
                auth:
                  jwt:
                    idp:
                      jwks_url: %s
                      issuer: %s
                      audiences: [orders-api]
                      clock_skew: 10s
                      algorithms: [ES256, EdDSA]
                """.formatted(url, ISSUER)));

        assertThat(withToken(es256(claims().build()))).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(withToken(rs256(rsa, claims().build()))).as("RS256 is no longer allowed")
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "algorithm RS256 not allowed"));
        assertThat(auth.stats().jwks().get("jwt:idp").keys()).as("only the EC key is usable now").isEqualTo(1);
    }

    @Test
    void keyServerThatNeverAnswers_isUnavailable_notUnauthenticated() throws Exception {
        try (SilentServer silent = new SilentServer()) {
            start(silent.url("/jwks"), "");
            AuthDecision d = withToken(rs256(rsa, claims().build()));
            assertThat(d).isInstanceOf(AuthDecision.Unavailable.class);
            assertThat(((AuthDecision.Unavailable) d).provider()).isEqualTo("jwt:idp");
            assertThat(((AuthDecision.Unavailable) d).reason()).contains("no key set loaded");
            assertThat(d.error()).contains(ErrorKind.AUTH_UNAVAILABLE);
        }
    }

    @Test
    void keyServerRefusingConnections_isUnavailable() throws Exception {
        start("http://127.0.0.1:" + AuthTesting.closedPort() + "/jwks", "");
        assertThat(withToken(rs256(rsa, claims().build()))).isInstanceOf(AuthDecision.Unavailable.class);
        assertThat(auth.stats().outcomes()).containsEntry("unavailable", 1L);
    }

    @Test
    void hs256_isAcceptedOnlyWithTheConfiguredSecret() throws Exception {
        start(null, "      hs256_secret: \"" + HMAC_SECRET + "\"", rsa);
        String good = sign(new MACSigner(HMAC_SECRET.getBytes(StandardCharsets.UTF_8)), JWSAlgorithm.HS256, "h",
                claims().build());
        String bad = sign(new MACSigner("another-secret-another-secret-xx".getBytes(StandardCharsets.UTF_8)),
                JWSAlgorithm.HS256, "h", claims().build());
        assertThat(withToken(good)).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(withToken(bad)).isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED,
                "invalid signature"));
    }

    @Test
    void requiredScopes_areChecked() throws Exception {
        startAndLoad(rsa);
        RoutePolicy scoped = new RoutePolicy(List.of("jwt:idp"), java.util.Set.of(),
                java.util.Set.of("orders:read"), java.util.Set.of(), false, false, route.apiKey());
        String withScope = rs256(rsa, claims(b -> b.claim("scope", "orders:read profile")));
        String without = rs256(rsa, claims(b -> b.claim("scope", "profile")));
        AuthDecision allowed = decision(auth.authenticate(scoped, get("/o", "Authorization", "Bearer " + withScope)));
        assertThat(((AuthDecision.Allowed) allowed).identity().scopes()).contains("orders:read");
        assertThat(decision(auth.authenticate(scoped, get("/o", "Authorization", "bearer " + without))).error())
                .contains(ErrorKind.FORBIDDEN);
    }

    @Test
    void otherAuthorizationSchemes_areNotJwtCredentials() {
        startAndLoad(rsa);
        assertThat(decision(auth.authenticate(route, get("/o", "Authorization", "Basic dXNlcjpwdw=="))))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "no credentials"));
    }
}
