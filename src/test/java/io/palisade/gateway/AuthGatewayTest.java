package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
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
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.palisade.admin.ReloadResult;
import io.palisade.auth.ApiKeys;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Authentication and authorization in the real gateway, against a real key server (JWKS over HTTP, keys made here:
 * RSA, EC P-256, Ed25519) and a real external auth service. Each failure status is asserted exactly, and after each
 * bad case a good request still gets through: the gateway keeps serving (seeds 000 and 004).
 */
class AuthGatewayTest {
    private static final String ISSUER = "https://idp.palisade.test";
    private static final String AUDIENCE = "orders-api";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RSAKey rsa;
    private static RSAKey impostor;
    private static ECKey ec;
    private static KeyPair ed;
    private static OctetKeyPair edPublic;
    private static ApiKeys.GeneratedKey acmeKey;
    private static ApiKeys.GeneratedKey otherKey;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private Gateways gateways;
    private TestUpstream upstream;
    private GatewayFixture gw;

    // Where each provider points; a closed port unless a test says otherwise.
    private String jwksUrl = closedUrl("/jwks.json");
    private String policyUrl = closedUrl("/check");
    private String hungUrl = closedUrl("/check");
    private String policyExtra = "";
    /**
     * The key fetch deadline: generous where the key server answers, so a busy machine cannot turn a slow answer into
     * an outage; short where a test is about a key server that never answers.
     */
    private String jwksTimeout = "5s";

    @BeforeAll
    static void keys() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        impostor = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = ed.getPublic().getEncoded();
        // An X.509 Ed25519 public key ends with the raw 32-byte key.
        edPublic = new OctetKeyPair.Builder(Curve.Ed25519,
                Base64URL.encode(Arrays.copyOfRange(spki, spki.length - 32, spki.length))).keyID("ed-1").build();
        acmeKey = ApiKeys.generate();
        otherKey = ApiKeys.generate();
    }

    @BeforeEach
    void setUp(Gateways gateways) {
        this.gateways = gateways;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        resources.add(resource);
        return resource;
    }

    private void start() {
        upstream = keep(TestUpstream.start("orders"));
        gw = gateways.start(config());
    }

    private String config() {
        return """
                consumers:
                  acme: { groups: [orders-read], api_keys: [ { sha256: "%s" } ] }
                  other: { groups: [billing], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key, query: api_key }
                  jwt:
                    idp:
                      jwks_url: "%s"
                      issuer: "%s"
                      audiences: [%s]
                      fetch: { timeout: %s, refresh: 5m, min_interval: 1s }
                  external:
                    policy:
                      url: "%s"
                      timeout: 10s
                      forward_headers: [X-Tenant]
                %s
                    hung:
                      url: "%s"
                      timeout: 300ms
                clusters:
                  orders: { endpoints: [ "%s" ] }
                routes:
                  - name: keys
                    match: { path_prefix: /keys }
                    cluster: orders
                    auth: { any_of: [api_key], groups: [orders-read] }
                  - name: jwt
                    match: { path_prefix: /jwt }
                    cluster: orders
                    auth: { any_of: ["jwt:idp"] }
                  - name: admins
                    match: { path_prefix: /admin }
                    cluster: orders
                    auth: { any_of: ["jwt:idp"], groups: [admins] }
                  - name: forward
                    match: { path_prefix: /forward }
                    cluster: orders
                    auth: { any_of: [api_key, "jwt:idp"], forward_credentials: true }
                  - name: ops
                    match: { path_prefix: /ops }
                    cluster: orders
                    auth: { any_of: ["external:policy"] }
                  - name: hung
                    match: { path_prefix: /hung }
                    cluster: orders
                    auth: { any_of: ["external:hung"] }
                  - name: public
                    match: { path_prefix: /public }
                    cluster: orders
                """.formatted(acmeKey.sha256Hex(), otherKey.sha256Hex(), jwksUrl, ISSUER, AUDIENCE, jwksTimeout,
                policyUrl, policyExtra, hungUrl, upstream.address());
    }

    // ------------------------------------------------------------------------------------------------ JWT

    @GatewayTest
    void jwtRoute_passesEachAlgorithm_and401sEveryBadToken() throws Exception {
        KeyServer keys = keep(new KeyServer(rsa, ec, edPublic));
        jwksUrl = keys.url();
        start();

        assertThat(bearer("/jwt/rs", rs256(rsa, claims())).statusCode()).isEqualTo(200);
        assertThat(bearer("/jwt/es", es256(claims())).statusCode()).isEqualTo(200);
        assertThat(bearer("/jwt/ed", eddsa(claims())).statusCode()).isEqualTo(200);
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri)
                .containsExactly("/jwt/rs", "/jwt/es", "/jwt/ed");

        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("expired", rs256(rsa, claims(c -> c.expirationTime(Date.from(Instant.now().minusSeconds(600))))));
        bad.put("not yet valid", rs256(rsa, claims(c -> c.notBeforeTime(Date.from(Instant.now().plusSeconds(600))))));
        bad.put("no expiry", rs256(rsa, claims(c -> c.expirationTime(null))));
        bad.put("wrong audience", rs256(rsa, claims(c -> c.audience("billing-api"))));
        bad.put("wrong issuer", rs256(rsa, claims(c -> c.issuer("https://evil.test"))));
        bad.put("bad signature (same kid, other key)", rs256(impostor, claims()));
        bad.put("bad signature (EdDSA)", tamper(eddsa(claims())));
        bad.put("unknown kid while the key server answers", sign(new RSASSASigner(impostor), JWSAlgorithm.RS256,
                "rsa-9", claims().build()));
        bad.put("malformed", "not.a.jwt");
        for (Map.Entry<String, String> b : bad.entrySet()) {
            HttpResponse<String> r = bearer("/jwt/bad", b.getValue());
            assertThat(r.statusCode()).as(b.getKey()).isEqualTo(401);
            assertThat(r.body()).as(b.getKey()).contains("\"unauthenticated\"");
            assertThat(bearer("/jwt/good", es256(claims())).statusCode()).as("good token after: " + b.getKey())
                    .isEqualTo(200);
        }
        HttpResponse<String> missing = gw.get("/jwt/none");
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(gw.get("/jwt/basic", "Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l").statusCode())
                .as("not a bearer token: no credentials for this route").isEqualTo(401);
        assertThat(bearer("/jwt/good", rs256(rsa, claims())).statusCode()).isEqualTo(200);
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri).doesNotContain("/jwt/bad", "/jwt/none");
    }

    @GatewayTest
    void keyServerDownAfterFirstLoad_tokensOfKnownKeysKeepPassing() throws Exception {
        KeyServer keys = new KeyServer(rsa, ec, edPublic);
        jwksUrl = keys.url();
        start();
        assertThat(bearer("/jwt/1", rs256(rsa, claims())).statusCode()).isEqualTo(200);
        assertThat(keys.fetches()).isGreaterThanOrEqualTo(1);

        keys.close();
        // A kid the loaded set lacks makes the gateway fetch now; the fetch fails, so it cannot tell: 503, not 401.
        HttpResponse<String> unknownKid = bearer("/jwt/2", sign(new RSASSASigner(impostor), JWSAlgorithm.RS256,
                "rsa-rotated", claims().build()));
        assertThat(unknownKid.statusCode()).isEqualTo(503);
        assertThat(unknownKid.headers().firstValue("retry-after")).isPresent();
        assertThat(unknownKid.body()).contains("\"auth_unavailable\"");

        // The failed fetch kept the last good key set.
        for (int i = 0; i < 20; i++) {
            assertThat(bearer("/jwt/rs", rs256(rsa, claims())).statusCode()).isEqualTo(200);
            assertThat(bearer("/jwt/es", es256(claims())).statusCode()).isEqualTo(200);
            assertThat(bearer("/jwt/ed", eddsa(claims())).statusCode()).isEqualTo(200);
        }
        // Bad tokens are still told apart from an outage.
        assertThat(bearer("/jwt/bad", rs256(impostor, claims())).statusCode()).isEqualTo(401);
        assertThat(bearer("/jwt/bad", rs256(rsa, claims(c -> c.audience("billing-api")))).statusCode())
                .isEqualTo(401);
        assertThat(bearer("/jwt/rs", rs256(rsa, claims())).statusCode()).isEqualTo(200);
    }

    @GatewayTest
    void reloadChangingTheIssuersSettings_whileTheKeyServerIsDown_keepsTheLastGoodKeys() throws Exception {
        KeyServer keys = new KeyServer(rsa, ec, edPublic);
        jwksUrl = keys.url();
        start();
        assertThat(bearer("/jwt/1", rs256(rsa, claims())).statusCode()).isEqualTo(200);
        keys.close();

        // Same key server, other settings: the provider is rebuilt, and must not forget the keys it had.
        String changed = config().replace("min_interval: 1s }", "min_interval: 1s }\n      clock_skew: 10s");
        assertThat(changed).isNotEqualTo(config());
        assertThat(gw.reload(changed).applied()).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(bearer("/jwt/rs", rs256(rsa, claims())).statusCode()).as("RS256 after the reload")
                    .isEqualTo(200);
            assertThat(bearer("/jwt/es", es256(claims())).statusCode()).as("ES256 after the reload")
                    .isEqualTo(200);
            assertThat(bearer("/jwt/ed", eddsa(claims())).statusCode()).as("EdDSA after the reload")
                    .isEqualTo(200);
        }
        assertThat(bearer("/jwt/bad", rs256(impostor, claims())).statusCode()).isEqualTo(401);

        // Narrowing the algorithms applies to the keys kept, too.
        String esOnly = changed.replace("audiences: [orders-api]",
                "audiences: [orders-api]\n      algorithms: [ES256]");
        assertThat(gw.reload(esOnly).applied()).isTrue();
        assertThat(bearer("/jwt/rs", rs256(rsa, claims())).statusCode()).isEqualTo(401);
        assertThat(bearer("/jwt/es", es256(claims())).statusCode()).isEqualTo(200);

        // A key server that does not answer is refused at pre-flight, naming it; forced past that, it is a
        // different key set: nothing is carried over to it.
        String down = closedUrl("/jwks.json");
        ReloadResult refused = gw.reload(changed.replace(jwksUrl, down));
        assertThat(refused.applied()).isFalse();
        assertThat(refused.errors()).anySatisfy(e -> assertThat(e).contains("jwks_url").contains(
                URI.create(down).getAuthority()));
        assertThat(bearer("/jwt/es", es256(claims())).statusCode()).as("the version before serves").isEqualTo(200);
        assertThat(gw.forceReload(changed.replace(jwksUrl, down)).applied()).isTrue();
        assertThat(bearer("/jwt/es", es256(claims())).statusCode()).isEqualTo(503);
    }

    @GatewayTest
    void keyServerNeverReachable_is503WithRetryAfter_never401Or403() throws Exception {
        // First: nothing listens at the key server's address.
        start();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = bearer("/jwt/x", rs256(rsa, claims()));
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("retry-after")).hasValueSatisfying(v ->
                    assertThat(Integer.parseInt(v)).isPositive());
            assertThat(r.body()).contains("\"auth_unavailable\"");
            assertThat(apiKey("/keys/ok", acmeKey).statusCode()).as("other routes keep serving").isEqualTo(200);
        }
        // A token that is bad on its face is still 401: no key is needed to see a wrong audience.
        assertThat(bearer("/jwt/x", rs256(rsa, claims(c -> c.audience("billing-api")))).statusCode()).isEqualTo(401);
        gw.close();
        gw = null;

        // Then: a key server that accepts connections and never answers; the fetch deadline (500ms) ends the wait.
        SilentServer silent = keep(new SilentServer());
        jwksUrl = "http://" + silent.address() + "/jwks.json";
        jwksTimeout = "500ms";
        start();
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(gw.url("/jwt/x")))
                .header("Authorization", "Bearer " + rs256(rsa, claims())), Duration.ofSeconds(10));
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).isPresent();
        assertThat(silent.acceptedCount()).isPositive();
        assertThat(apiKey("/keys/ok", acmeKey).statusCode()).isEqualTo(200);
    }

    // ------------------------------------------------------------------------------------------------ external

    @GatewayTest
    void externalService_allowsDeniesAndAddsUpstreamHeaders() throws Exception {
        PolicyServer policy = keep(new PolicyServer());
        policyUrl = policy.url();
        start();

        HttpResponse<String> allowed = gw.get("/ops/allow", "X-Tenant", "t1", "X-Consumer-Id", "spoofed",
                "X-Tenant-Id", "client-says-99");
        assertThat(allowed.statusCode()).isEqualTo(200);
        TestUpstream.Received seen = last();
        assertThat(seen.headers().get("X-Consumer-Id")).isEqualTo("acme");
        assertThat(seen.headers().get("X-Consumer-Groups")).as("the service's groups plus acme's configured ones")
                .isEqualTo("ops,orders-read");
        assertThat(seen.headers().getAll("X-Tenant-Id")).as("the service's header replaces the client's")
                .containsExactly("7");
        JsonNode call = policy.calls().get(policy.calls().size() - 1);
        assertThat(call.get("method").asText()).isEqualTo("GET");
        assertThat(call.get("path").asText()).isEqualTo("/ops/allow");
        assertThat(call.get("headers")).isEqualTo(JSON.readTree("{\"x-tenant\":\"t1\"}"));

        assertThat(gw.get("/ops/plain").statusCode()).isEqualTo(200);
        assertThat(last().headers().get("X-Consumer-Id")).as("an empty 200 allows as the provider")
                .isEqualTo("external:policy");

        Map<String, Integer> bad = new LinkedHashMap<>();
        bad.put("/ops/deny", 403);
        bad.put("/ops/forbidden", 403);
        bad.put("/ops/unauthenticated", 401);
        bad.put("/ops/broken", 503);
        bad.put("/ops/garbage", 503);
        bad.put("/ops/smuggle", 503);
        int before = upstream.requestCount();
        for (Map.Entry<String, Integer> b : bad.entrySet()) {
            HttpResponse<String> r = gw.get(b.getKey());
            assertThat(r.statusCode()).as(b.getKey()).isEqualTo(b.getValue());
            assertThat(r.headers().firstValue("retry-after").isPresent()).as(b.getKey() + " Retry-After")
                    .isEqualTo(b.getValue() == 503);
            assertThat(gw.get("/ops/allow", "X-Tenant", "t1").statusCode()).as("good request after " + b.getKey())
                    .isEqualTo(200);
        }
        assertThat(upstream.received().subList(before, upstream.requestCount()))
                .extracting(TestUpstream.Received::uri).containsOnly("/ops/allow");
    }

    @GatewayTest
    void hungExternalService_is503WithRetryAfterAtItsDeadline_notForbidden() throws Exception {
        SilentServer silent = keep(new SilentServer());
        hungUrl = "http://" + silent.address() + "/check";
        start();

        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            // The client gives the gateway 10s; the service's deadline is 300ms.
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(gw.url("/hung/" + i))),
                    Duration.ofSeconds(10));
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("retry-after")).isPresent();
            assertThat(r.body()).contains("\"auth_unavailable\"");
            assertThat(tookMs).as("answered at the deadline, not before it").isGreaterThanOrEqualTo(300);
            assertThat(gw.get("/public/x").statusCode()).isEqualTo(200);
            assertThat(apiKey("/keys/x", acmeKey).statusCode()).isEqualTo(200);
        }
        assertThat(silent.acceptedCount()).isPositive();
    }

    @GatewayTest
    void bulkheadFull_is503AtOnce_andTheSlotFreesWhenTheCallEnds() throws Exception {
        PolicyServer policy = keep(new PolicyServer());
        policyUrl = policy.url();
        policyExtra = "      max_in_flight: 1";
        start();
        CountDownLatch release = policy.hold();

        CompletableFuture<HttpResponse<String>> slow = gw.client().sendAsync(
                HttpRequest.newBuilder(URI.create(gw.url("/ops/slow"))).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> policy.held() == 1);

        HttpResponse<String> rejected = gw.get("/ops/allow");
        assertThat(rejected.statusCode()).isEqualTo(503);
        assertThat(rejected.headers().firstValue("retry-after")).isPresent();
        assertThat(rejected.body()).contains("\"auth_unavailable\"");
        assertThat(slow).as("rejected while the one allowed call still runs").isNotDone();
        assertThat(policy.calls()).hasSize(1);
        assertThat(gw.get("/public/x").statusCode()).isEqualTo(200);

        release.countDown();
        assertThat(slow.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(gw.get("/ops/allow").statusCode()).as("the slot is free again").isEqualTo(200);
    }

    // ------------------------------------------------------------------------------------------------ authorization

    @GatewayTest
    void routeGroups_403ForAKnownIdentityOutsideThem() throws Exception {
        KeyServer keys = keep(new KeyServer(rsa, ec, edPublic));
        jwksUrl = keys.url();
        start();

        HttpResponse<String> outside = apiKey("/keys/1", otherKey);
        assertThat(outside.statusCode()).isEqualTo(403);
        assertThat(outside.body()).contains("\"forbidden\"");
        assertThat(outside.headers().firstValue("retry-after")).isEmpty();
        assertThat(apiKey("/keys/1", acmeKey).statusCode()).isEqualTo(200);

        assertThat(bearer("/admin/1", rs256(rsa, claims(c -> c.claim("groups", List.of("staff"))))).statusCode())
                .isEqualTo(403);
        assertThat(bearer("/admin/1", es256(claims(c -> c.subject("acme")))).statusCode())
                .as("acme's configured groups do not include admins").isEqualTo(403);
        assertThat(bearer("/admin/1", eddsa(claims(c -> c.claim("groups", "staff admins")))).statusCode())
                .isEqualTo(200);
        assertThat(bearer("/admin/1", rs256(rsa, claims(c -> c.claim("groups", List.of("admins"))))).statusCode())
                .isEqualTo(200);
        assertThat(bearer("/admin/1", rs256(rsa, claims(c -> c.audience("billing-api")))).statusCode())
                .as("a bad token is 401 even on a route with groups").isEqualTo(401);
        assertThat(apiKey("/keys/2", acmeKey).statusCode()).isEqualTo(200);
        assertThat(upstream.received()).hasSize(4);
    }

    @GatewayTest
    void identityForwarded_credentialsStripped_unlessTheRouteForwardsThem() throws Exception {
        KeyServer keys = keep(new KeyServer(rsa, ec, edPublic));
        jwksUrl = keys.url();
        start();

        assertThat(apiKey("/keys/1", acmeKey, "X-Consumer-Groups", "admins").statusCode()).isEqualTo(200);
        TestUpstream.Received r = last();
        assertThat(r.headers().get("X-Consumer-Id")).isEqualTo("acme");
        assertThat(r.headers().getAll("X-Consumer-Groups")).containsExactly("orders-read");
        assertThat(r.headers().contains("X-Api-Key")).as("API key stripped").isFalse();

        String token = rs256(rsa, claims(c -> c.subject("acme").claim("groups", List.of("reporting", "audit"))));
        assertThat(bearer("/jwt/1", token).statusCode()).isEqualTo(200);
        r = last();
        assertThat(r.headers().get("X-Consumer-Id")).isEqualTo("acme");
        assertThat(r.headers().get("X-Consumer-Groups")).as("token groups plus acme's, sorted")
                .isEqualTo("audit,orders-read,reporting");
        assertThat(r.headers().contains("Authorization")).as("token stripped").isFalse();

        assertThat(bearer("/jwt/2", es256(claims(c -> c.subject("user-7")))).statusCode()).isEqualTo(200);
        assertThat(last().headers().get("X-Consumer-Id")).isEqualTo("user-7");
        assertThat(last().headers().contains("X-Consumer-Groups")).isFalse();

        assertThat(apiKey("/forward/1", acmeKey).statusCode()).isEqualTo(200);
        r = last();
        assertThat(r.headers().get("X-Api-Key")).as("kept with forward_credentials").isEqualTo(acmeKey.key());
        assertThat(r.headers().get("X-Consumer-Id")).isEqualTo("acme");
        assertThat(bearer("/forward/2", token).statusCode()).isEqualTo(200);
        assertThat(last().headers().get("Authorization")).isEqualTo("Bearer " + token);
        assertThat(gw.get("/forward/3?api_key=" + acmeKey.key() + "&x=1").statusCode()).isEqualTo(200);
        assertThat(last().uri()).isEqualTo("/forward/3?api_key=" + acmeKey.key() + "&x=1");

        // On a route without auth nothing is stripped, but identity headers still cannot be forged.
        assertThat(gw.get("/public/1", "X-Api-Key", "k", "Authorization", "Bearer t", "X-Consumer-Id", "acme")
                .statusCode()).isEqualTo(200);
        r = last();
        assertThat(r.headers().get("X-Api-Key")).isEqualTo("k");
        assertThat(r.headers().get("Authorization")).isEqualTo("Bearer t");
        assertThat(r.headers().contains("X-Consumer-Id")).isFalse();
    }

    @GatewayTest
    void apiKeyInTheQuery_isStrippedFromTheUpstreamUri() {
        start();

        assertThat(gw.get("/keys/a?api_key=" + acmeKey.key()).statusCode()).isEqualTo(200);
        assertThat(last().uri()).isEqualTo("/keys/a");
        assertThat(last().headers().get("X-Consumer-Id")).isEqualTo("acme");

        assertThat(gw.get("/keys/b?x=1&api_key=" + acmeKey.key() + "&y=2").statusCode()).isEqualTo(200);
        assertThat(last().uri()).isEqualTo("/keys/b?x=1&y=2");

        String encoded = acmeKey.key().replace("_", "%5F");
        assertThat(gw.get("/keys/c?api%5Fkey=" + encoded + "&z=3").statusCode()).as("escaped name and value")
                .isEqualTo(200);
        assertThat(last().uri()).isEqualTo("/keys/c?z=3");

        assertThat(gw.get("/keys/d?api_key=pk_wrong").statusCode()).isEqualTo(401);
        assertThat(gw.get("/keys/d?api_key=" + otherKey.key()).statusCode()).isEqualTo(403);
        assertThat(gw.get("/keys/d?api_key=" + acmeKey.key() + "&api_key=" + acmeKey.key()).statusCode())
                .as("two keys are ambiguous").isEqualTo(401);
        assertThat(gw.get("/keys/e?api_key=" + acmeKey.key()).statusCode()).isEqualTo(200);
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri)
                .noneMatch(u -> u.contains(acmeKey.key()) || u.contains(encoded) || u.contains("api_key"));
    }

    // ------------------------------------------------------------------------------------------------ metrics

    @GatewayTest
    void decisionMetrics_separateDeniedFromUnavailable_perRouteAndConsumer() throws Exception {
        PolicyServer policy = keep(new PolicyServer());
        policyUrl = policy.url();
        SilentServer silent = keep(new SilentServer());
        hungUrl = "http://" + silent.address() + "/check";
        start();

        apiKey("/keys/1", acmeKey);
        apiKey("/keys/2", acmeKey);
        apiKey("/keys/3", otherKey);
        gw.get("/keys/4");
        gw.get("/keys/5", "X-Api-Key", "pk_unknown");
        gw.get("/ops/allow");
        gw.get("/ops/deny");
        gw.get("/ops/broken");
        gw.get("/hung/1");
        gw.get("/hung/2");
        assertThat(gw.get("/public/1").statusCode()).isEqualTo(200);

        Map<List<String>, Double> d = decisions(gw.admin("GET", "/metrics").body());
        assertThat(d).containsOnly(
                Map.entry(List.of("keys", "allowed", "acme"), 2.0),
                Map.entry(List.of("keys", "forbidden", "other"), 1.0),
                Map.entry(List.of("keys", "unauthenticated", "-"), 2.0),
                Map.entry(List.of("ops", "allowed", "acme"), 1.0),
                Map.entry(List.of("ops", "forbidden", "-"), 1.0),
                Map.entry(List.of("ops", "unavailable", "-"), 1.0),
                Map.entry(List.of("hung", "unavailable", "-"), 2.0));
    }

    /** {@code palisade_auth_decisions_total} as (route, outcome, consumer) to value. */
    private static Map<List<String>, Double> decisions(String metrics) {
        Pattern line = Pattern.compile("^palisade_auth_decisions_total\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);
        Pattern label = Pattern.compile("(\\w+)=\"([^\"]*)\"");
        Map<List<String>, Double> out = new HashMap<>();
        Matcher m = line.matcher(metrics);
        while (m.find()) {
            Map<String, String> labels = new HashMap<>();
            Matcher l = label.matcher(m.group(1));
            while (l.find()) {
                labels.put(l.group(1), l.group(2));
            }
            out.put(List.of(labels.get("route"), labels.get("outcome"), labels.get("consumer")),
                    Double.parseDouble(m.group(2)));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private TestUpstream.Received last() {
        List<TestUpstream.Received> all = upstream.received();
        return all.get(all.size() - 1);
    }

    private HttpResponse<String> bearer(String path, String token) {
        return gw.get(path, "Authorization", "Bearer " + token);
    }

    private HttpResponse<String> apiKey(String path, ApiKeys.GeneratedKey key, String... more) {
        String[] headers = new String[more.length + 2];
        headers[0] = "X-Api-Key";
        headers[1] = key.key();
        System.arraycopy(more, 0, headers, 2, more.length);
        return gw.get(path, headers);
    }

    private HttpResponse<String> send(HttpRequest.Builder b, Duration clientTimeout) throws Exception {
        return gw.client().send(b.timeout(clientTimeout).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String closedUrl(String path) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort() + path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JWTClaimsSet.Builder claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject("user-1")
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)));
    }

    private static JWTClaimsSet.Builder claims(Consumer<JWTClaimsSet.Builder> change) {
        JWTClaimsSet.Builder b = claims();
        change.accept(b);
        return b;
    }

    private static String sign(com.nimbusds.jose.JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims)
            throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String rs256(RSAKey key, JWTClaimsSet.Builder claims) throws JOSEException {
        return sign(new RSASSASigner(key), JWSAlgorithm.RS256, key.getKeyID(), claims.build());
    }

    private static String es256(JWTClaimsSet.Builder claims) throws JOSEException {
        return sign(new ECDSASigner(ec), JWSAlgorithm.ES256, ec.getKeyID(), claims.build());
    }

    /** Signed with the JDK's Ed25519 (Nimbus would need Tink for this). */
    private static String eddsa(JWTClaimsSet.Builder claims) throws GeneralSecurityException {
        String signingInput = Base64URL.encode("{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"ed-1\"}") + "."
                + Base64URL.encode(claims.build().toString());
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(ed.getPrivate());
        signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + Base64URL.encode(signer.sign());
    }

    /** The same token with one signature byte flipped. */
    private static String tamper(String token) {
        int dot = token.lastIndexOf('.');
        byte[] sig = new Base64URL(token.substring(dot + 1)).decode();
        sig[0] ^= 1;
        return token.substring(0, dot + 1) + Base64URL.encode(sig);
    }

    // ------------------------------------------------------------------------------------------------ servers

    private static HttpServer loopbackServer(ExecutorService executor) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(executor);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    /** A JWKS endpoint serving the public halves of the given keys; {@link #close()} takes it down. */
    private static final class KeyServer implements AutoCloseable {
        private final HttpServer server = loopbackServer(null);
        private final AtomicInteger fetches = new AtomicInteger();
        private final String body;

        KeyServer(JWK... keys) {
            body = new JWKSet(Arrays.stream(keys).map(JWK::toPublicJWK).toList()).toString();
            server.createContext("/jwks.json", exchange -> {
                fetches.incrementAndGet();
                respond(exchange, 200, body);
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json";
        }

        int fetches() {
            return fetches.get();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /**
     * An external auth service that answers by the path it is asked about: {@code /ops/allow} allows as acme with a
     * group and a header, {@code /ops/plain} is an empty 200, {@code /ops/deny} says {@code allow: false},
     * {@code /ops/forbidden} and {@code /ops/unauthenticated} answer 403 and 401, {@code /ops/broken} 500,
     * {@code /ops/garbage} a body that is not JSON, {@code /ops/smuggle} a header that may not be forwarded, and
     * {@code /ops/slow} waits for {@link #hold()}'s latch.
     */
    private static final class PolicyServer implements AutoCloseable {
        private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-policy-server");
            t.setDaemon(true);
            return t;
        });
        private final HttpServer server = loopbackServer(executor);
        private final List<JsonNode> calls = new CopyOnWriteArrayList<>();
        private final AtomicInteger held = new AtomicInteger();
        private volatile CountDownLatch gate = new CountDownLatch(0);

        PolicyServer() {
            server.createContext("/check", this::handle);
            server.start();
        }

        private void handle(HttpExchange exchange) throws IOException {
            JsonNode call = JSON.readTree(exchange.getRequestBody().readAllBytes());
            calls.add(call);
            switch (call.path("path").asText()) {
                case "/ops/allow" -> respond(exchange, 200, """
                        {"allow": true, "consumer": "acme", "groups": ["ops"], "headers": {"X-Tenant-Id": "7"}}""");
                case "/ops/plain" -> respond(exchange, 200, "");
                case "/ops/deny" -> respond(exchange, 200, "{\"allow\": false}");
                case "/ops/forbidden" -> respond(exchange, 403, "");
                case "/ops/unauthenticated" -> respond(exchange, 401, "");
                case "/ops/garbage" -> respond(exchange, 200, "<html>");
                case "/ops/smuggle" -> respond(exchange, 200, "{\"headers\": {\"Transfer-Encoding\": \"chunked\"}}");
                case "/ops/slow" -> {
                    held.incrementAndGet();
                    try {
                        gate.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    respond(exchange, 200, "");
                }
                default -> respond(exchange, 500, "");
            }
        }

        /** From now on, {@code /ops/slow} waits until the returned latch is released. */
        CountDownLatch hold() {
            gate = new CountDownLatch(1);
            return gate;
        }

        int held() {
            return held.get();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/check";
        }

        List<JsonNode> calls() {
            return calls;
        }

        @Override
        public void close() {
            gate.countDown();
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
