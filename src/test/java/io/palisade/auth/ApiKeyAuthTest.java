package io.palisade.auth;

import static io.palisade.auth.AuthTesting.decision;
import static io.palisade.auth.AuthTesting.get;
import static io.palisade.auth.AuthTesting.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.error.ErrorKind;
import io.palisade.testing.FakeTicker;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApiKeyAuthTest {
    private final ApiKeys.GeneratedKey acmeKey = ApiKeys.generate();
    private final ApiKeys.GeneratedKey bobKey = ApiKeys.generate();
    private final Yaml yaml = Yaml.of("""
            consumers:
              acme: { groups: [orders-read, orders-write], api_keys: [ { sha256: "%s" } ] }
              bob: { groups: [billing], api_keys: [ { sha256: "%s" } ] }
            auth:
              api_key: { header: X-Api-Key, query: api_key }
            routes:
              - auth: { any_of: [api_key], groups: [orders-read] }
              - auth: { any_of: [api_key], anonymous: true }
              - auth: { any_of: [api_key], methods: [GET, HEAD] }
            """.formatted(acmeKey.sha256Hex(), bobKey.sha256Hex()));
    private final RoutePolicy orders = yaml.route(0);
    private final RoutePolicy open = yaml.route(1);
    private final RoutePolicy readOnly = yaml.route(2);
    private final AuthService auth = AuthService.create(yaml.settings, new FakeTicker(), Clock.systemUTC());

    @AfterEach
    void close() {
        auth.close();
    }

    private AuthDecision decide(RoutePolicy p, AuthRequest r) {
        return decision(auth.authenticate(p, r));
    }

    @Test
    void knownKeyInHeader_isAllowedAsItsConsumer() {
        assertThat(yaml.errors()).isEmpty();
        AuthDecision d = decide(orders, get("/orders", "X-Api-Key", acmeKey.key()));
        assertThat(d).isInstanceOf(AuthDecision.Allowed.class);
        Identity who = ((AuthDecision.Allowed) d).identity();
        assertThat(who.consumerId()).isEqualTo("acme");
        assertThat(who.groups()).containsExactlyInAnyOrder("orders-read", "orders-write");
        assertThat(who.provider()).isEqualTo("api_key");
    }

    @Test
    void knownKeyInQuery_isAllowed() {
        AuthDecision d = decide(orders, request("GET", "/orders", "x=1&api_key=" + acmeKey.key()));
        assertThat(d).isInstanceOf(AuthDecision.Allowed.class);
    }

    @Test
    void missingKey_isUnauthenticated() {
        assertThat(decide(orders, get("/orders")))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "no credentials"));
    }

    @Test
    void unknownKey_isUnauthenticated() {
        assertThat(decide(orders, get("/orders", "X-Api-Key", ApiKeys.generate().key())))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "unknown API key"));
        assertThat(decide(orders, get("/orders", "X-Api-Key", "")).error()).contains(ErrorKind.UNAUTHENTICATED);
        assertThat(decide(orders, get("/orders", "X-Api-Key", "x".repeat(10_000))).error())
                .contains(ErrorKind.UNAUTHENTICATED);
    }

    @Test
    void severalKeys_areUnauthenticated() {
        AuthDecision d = decide(orders, get("/orders", "X-Api-Key", acmeKey.key(), "X-Api-Key", bobKey.key()));
        assertThat(d.error()).contains(ErrorKind.UNAUTHENTICATED);
        d = decide(orders, request("GET", "/orders", "api_key=" + acmeKey.key() + "&api_key=x"));
        assertThat(d.error()).contains(ErrorKind.UNAUTHENTICATED);
    }

    @Test
    void consumerOutsideTheRouteGroups_isForbidden() {
        AuthDecision d = decide(orders, get("/orders", "X-Api-Key", bobKey.key()));
        assertThat(d.error()).contains(ErrorKind.FORBIDDEN);
        assertThat(((AuthDecision.Denied) d).consumer()).as("who was refused, for per-consumer 403 metrics")
                .contains("bob");
        assertThat(((AuthDecision.Denied) decide(orders, get("/orders", "X-Api-Key", "pk_wrong"))).consumer())
                .isEmpty();
    }

    @Test
    void anonymousRoute_allowsNoCredentials_butRefusesBadOnes() {
        AuthDecision none = decide(open, get("/public"));
        assertThat(none).isEqualTo(new AuthDecision.Allowed(Identity.anonymous(), java.util.Map.of()));
        assertThat(decide(open, get("/public", "X-Api-Key", "pk_wrong")).error())
                .contains(ErrorKind.UNAUTHENTICATED);
        AuthDecision known = decide(open, get("/public", "X-Api-Key", bobKey.key()));
        assertThat(((AuthDecision.Allowed) known).identity().consumerId()).isEqualTo("bob");
    }

    @Test
    void methodOutsideTheRouteMethods_isForbidden() {
        assertThat(decide(readOnly, get("/r", "X-Api-Key", bobKey.key()))).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(decide(readOnly, request("DELETE", "/r", "", "X-Api-Key", bobKey.key())).error())
                .contains(ErrorKind.FORBIDDEN);
        assertThat(decide(readOnly, request("DELETE", "/r", "")).error()).contains(ErrorKind.UNAUTHENTICATED);
    }

    @Test
    void routeWithoutAuth_allowsAnonymously() {
        assertThat(decide(RoutePolicy.none(), get("/x"))).isEqualTo(
                new AuthDecision.Allowed(Identity.anonymous(), java.util.Map.of()));
    }

    @Test
    void reloadRemovingAKey_refusesIt_onTheFirstRequestAfter_evenOnTheThreadThatJustVerifiedIt() {
        for (int i = 0; i < 3; i++) {
            assertThat(decide(orders, get("/orders", "X-Api-Key", acmeKey.key())))
                    .isInstanceOf(AuthDecision.Allowed.class);
        }
        auth.update(Yaml.valid("""
                consumers:
                  bob: { groups: [billing], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key, query: api_key }
                """.formatted(bobKey.sha256Hex())));
        assertThat(decide(orders, get("/orders", "X-Api-Key", acmeKey.key())))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "unknown API key"));
        assertThat(decide(orders, request("GET", "/orders", "api_key=" + acmeKey.key())))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "unknown API key"));
    }

    @Test
    void reloadChangingAConsumersGroups_appliesOnTheFirstRequestAfter() {
        assertThat(decide(orders, get("/orders", "X-Api-Key", acmeKey.key())))
                .isInstanceOf(AuthDecision.Allowed.class);
        auth.update(Yaml.valid("""
                consumers:
                  acme: { groups: [billing], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key }
                """.formatted(acmeKey.sha256Hex())));
        AuthDecision d = decide(orders, get("/orders", "X-Api-Key", acmeKey.key()));
        assertThat(d.error()).contains(ErrorKind.FORBIDDEN);
        assertThat(((AuthDecision.Denied) d).consumer()).contains("acme");
    }

    @Test
    void aKeyDifferingFromTheLastVerifiedOne_isLookedUp_notTakenForIt() {
        assertThat(decide(orders, get("/orders", "X-Api-Key", acmeKey.key())))
                .isInstanceOf(AuthDecision.Allowed.class);
        String k = acmeKey.key();
        String lastCharChanged = k.substring(0, k.length() - 1) + (k.endsWith("A") ? "B" : "A");
        assertThat(decide(orders, get("/orders", "X-Api-Key", lastCharChanged)))
                .isEqualTo(new AuthDecision.Denied(ErrorKind.UNAUTHENTICATED, "unknown API key"));
        assertThat(((AuthDecision.Denied) decide(orders, get("/orders", "X-Api-Key", bobKey.key()))).consumer())
                .as("another consumer's key, right after acme's").contains("bob");
    }

    @Test
    void stats_countOutcomes() {
        decide(orders, get("/orders", "X-Api-Key", acmeKey.key()));
        decide(orders, get("/orders", "X-Api-Key", bobKey.key()));
        decide(orders, get("/orders"));
        AuthStats s = auth.stats();
        assertThat(s.outcomes()).containsEntry("allowed", 1L).containsEntry("forbidden", 1L)
                .containsEntry("unauthenticated", 1L).containsEntry("unavailable", 0L);
        assertThat(s.consumers()).isEqualTo(2);
        assertThat(s.apiKeys()).isEqualTo(2);
    }
}
