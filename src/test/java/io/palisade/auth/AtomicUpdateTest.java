package io.palisade.auth;

import static io.palisade.auth.AuthTesting.decision;
import static io.palisade.auth.AuthTesting.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.palisade.auth.AuthTesting.TestServer;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import io.palisade.testing.FakeTicker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AtomicUpdateTest {
    private static final int CONSUMERS = 10_000;
    private static final int UPDATES = 20;
    private static final int WORKERS = 3;

    private final List<ApiKeys.GeneratedKey> keys = List.of(ApiKeys.generate(), ApiKeys.generate(),
            ApiKeys.generate());
    private final List<String> fillerHashes = new ArrayList<>();

    /** A freshly parsed settings object: the same keys, 10,000 consumers, a filler group that changes per round. */
    private AuthSettings settings(int round) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        ObjectNode consumers = root.putObject("consumers");
        for (int i = 0; i < keys.size(); i++) {
            ObjectNode c = consumers.putObject("known-" + i);
            c.putArray("groups").add("orders-read");
            c.putArray("api_keys").addObject().put("sha256", keys.get(i).sha256Hex());
        }
        for (int i = 0; i < CONSUMERS - keys.size(); i++) {
            ObjectNode c = consumers.putObject("c" + i);
            c.putArray("groups").add("g" + (i + round) % 50);
            c.putArray("api_keys").addObject().put("sha256", fillerHashes.get(i));
        }
        ConfigErrors errors = new ConfigErrors();
        AuthSettings s = AuthSettings.parse(new ConfigNode(root, "", errors));
        errors.throwIfAny();
        return s;
    }

    @Test
    void updatesUnderLoad_neverShowAHalfBuiltView() throws Exception {
        for (int i = 0; i < CONSUMERS - keys.size(); i++) {
            fillerHashes.add(ApiKeys.sha256Hex("filler-" + i));
        }
        AuthSettings first = settings(0);
        RoutePolicy route = new RoutePolicy(List.of("api_key"), java.util.Set.of("orders-read"), java.util.Set.of(),
                java.util.Set.of(), false, false, first.apiKey());
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong decisions = new AtomicLong();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        CountDownLatch running = new CountDownLatch(WORKERS);

        try (AuthService auth = AuthService.create(first, new FakeTicker(), Clock.systemUTC())) {
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                Thread t = new Thread(() -> {
                    running.countDown();
                    int n = 0;
                    while (!done.get()) {
                        int k = (worker + n++) % keys.size();
                        AuthDecision d = auth.authenticate(route, get("/orders", "X-Api-Key", keys.get(k).key()))
                                .toCompletableFuture().join();
                        decisions.incrementAndGet();
                        if (!(d instanceof AuthDecision.Allowed a)
                                || !a.identity().consumerId().equals("known-" + k)) {
                            wrong.add(d.toString());
                        }
                    }
                }, "auth-worker-" + w);
                t.start();
                workers.add(t);
            }
            running.await();
            for (int round = 1; round <= UPDATES; round++) {
                long seen = decisions.get();
                await().atMost(Duration.ofSeconds(30)).until(() -> decisions.get() > seen);
                auth.update(settings(round));
            }
            done.set(true);
            for (Thread t : workers) {
                t.join(Duration.ofSeconds(30));
            }
            assertThat(wrong).isEmpty();
            assertThat(decisions.get()).isPositive();
            assertThat(auth.stats().consumers()).isEqualTo(CONSUMERS);
            assertThat(auth.stats().outcomes()).containsEntry("allowed", decisions.get());
        }
    }

    @Test
    void update_keepsKeySetsOfUnchangedProviders_andRebuildsChangedOnes() throws Exception {
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
        try (TestServer jwks = new TestServer()) {
            jwks.answer(200, new JWKSet(rsa.toPublicJWK()).toString());
            String yaml = """
                    auth:
                      jwt:
                        idp: { jwks_url: "%s", issuer: me, audiences: [%s] }
                      external:
                        policy: { url: "http://127.0.0.1:1/check", timeout: 1s }
                    """;
            AuthSettings before = Yaml.valid(yaml.formatted(jwks.url("/jwks"), "api"));
            try (AuthService auth = AuthService.create(before, new FakeTicker(), Clock.systemUTC())) {
                DefaultAuthService impl = (DefaultAuthService) auth;
                await().atMost(Duration.ofSeconds(10)).until(() -> auth.stats().jwks().get("jwt:idp").keys() == 1);
                Provider jwt = impl.provider("jwt:idp").orElseThrow();
                Provider ext = impl.provider("external:policy").orElseThrow();

                auth.update(Yaml.valid(yaml.formatted(jwks.url("/jwks"), "api")));
                assertThat(impl.provider("jwt:idp")).containsSame(jwt);
                assertThat(impl.provider("external:policy")).containsSame(ext);
                assertThat(jwks.requests.get()).isEqualTo(1);

                auth.update(Yaml.valid(yaml.formatted(jwks.url("/jwks"), "other-api")));
                assertThat(impl.provider("jwt:idp").orElseThrow()).isNotSameAs(jwt);
                assertThat(impl.provider("external:policy")).containsSame(ext);
                await().atMost(Duration.ofSeconds(10)).until(() -> jwks.requests.get() == 2);

                auth.update(AuthSettings.empty());
                assertThat(impl.provider("jwt:idp")).isEmpty();
                RoutePolicy stale = new RoutePolicy(List.of("jwt:idp"), java.util.Set.of(), java.util.Set.of(),
                        java.util.Set.of(), false, false, before.apiKey());
                assertThat(decision(auth.authenticate(stale, get("/x", "Authorization", "Bearer a.b.c"))))
                        .as("a route naming a provider that is gone cannot be decided: 503, not 403")
                        .isEqualTo(new AuthDecision.Unavailable("jwt:idp", "provider not configured"));
            }
        }
    }
}
