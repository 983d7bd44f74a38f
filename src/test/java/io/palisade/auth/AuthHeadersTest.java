package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AuthHeadersTest {
    private static final AuthSettings.ApiKey KEYS = new AuthSettings.ApiKey("X-Api-Key", Optional.of("api_key"));

    private static RoutePolicy policy(List<String> anyOf, boolean forward) {
        return new RoutePolicy(anyOf, Set.of(), Set.of(), Set.of(), false, forward, KEYS);
    }

    private static HttpHeaders clientHeaders() {
        return new DefaultHttpHeaders()
                .add("X-Api-Key", "pk_secret")
                .add("Authorization", "Bearer t.o.k")
                .add("X-Consumer-Id", "admin")
                .add("x-consumer-groups", "admins")
                .add("X-Consumer-Anything", "spoof")
                .add("X-Other", "kept");
    }

    @Test
    void apiKeyCaller_getsIdentityHeaders_andSpoofedOnesAndTheKeyAreRemoved() {
        HttpHeaders h = clientHeaders();
        AuthDecision.Allowed a = new AuthDecision.Allowed(
                new Identity("acme", Set.of("orders-write", "orders-read"), "api_key"), Map.of());
        AuthHeaders.applyUpstream(h, a, policy(List.of("api_key", "jwt:idp"), false));

        assertThat(h.getAll("X-Consumer-Id")).containsExactly("acme");
        assertThat(h.get("X-Consumer-Groups")).isEqualTo("orders-read,orders-write");
        assertThat(h.contains("X-Consumer-Anything")).isFalse();
        assertThat(h.contains("X-Api-Key")).isFalse();
        assertThat(h.get("Authorization")).as("not the credential used").isEqualTo("Bearer t.o.k");
        assertThat(h.get("X-Other")).isEqualTo("kept");
    }

    @Test
    void jwtCaller_losesTheAuthorizationHeader_unlessTheRouteForwardsCredentials() {
        AuthDecision.Allowed a = new AuthDecision.Allowed(new Identity("user-1", Set.of(), "jwt:idp"), Map.of());
        HttpHeaders stripped = clientHeaders();
        AuthHeaders.applyUpstream(stripped, a, policy(List.of("api_key", "jwt:idp"), false));
        assertThat(stripped.contains("Authorization")).isFalse();
        assertThat(stripped.contains("X-Api-Key")).isFalse();
        assertThat(stripped.contains("X-Consumer-Groups")).as("no groups, no header").isFalse();

        HttpHeaders forwarded = clientHeaders();
        AuthHeaders.applyUpstream(forwarded, a, policy(List.of("api_key", "jwt:idp"), true));
        assertThat(forwarded.get("Authorization")).isEqualTo("Bearer t.o.k");
        assertThat(forwarded.get("X-Api-Key")).isEqualTo("pk_secret");
        assertThat(forwarded.getAll("X-Consumer-Id")).containsExactly("user-1");
    }

    @Test
    void externalServiceHeaders_arePassedUpstream() {
        HttpHeaders h = clientHeaders();
        AuthDecision.Allowed a = new AuthDecision.Allowed(new Identity("svc", Set.of("ops"), "external:policy"),
                Map.of("X-Tenant-Id", "7"));
        AuthHeaders.applyUpstream(h, a, policy(List.of("external:policy"), false));
        assertThat(h.get("X-Tenant-Id")).isEqualTo("7");
        assertThat(h.get("X-Api-Key")).as("route does not take API keys").isEqualTo("pk_secret");
        assertThat(h.get("X-Consumer-Groups")).isEqualTo("ops");
    }

    @Test
    void routeWithoutAuth_onlyRemovesSpoofedHeaders() {
        HttpHeaders h = clientHeaders();
        AuthHeaders.applyUpstream(h, new AuthDecision.Allowed(Identity.anonymous(), Map.of()), RoutePolicy.none());
        assertThat(h.names()).noneMatch(n -> n.toLowerCase().startsWith("x-consumer-"));
        assertThat(h.get("X-Api-Key")).isEqualTo("pk_secret");
        assertThat(h.get("Authorization")).isEqualTo("Bearer t.o.k");
    }

    @Test
    void stripQueryParam_removesEveryOccurrenceAndKeepsTheRest() {
        assertThat(AuthHeaders.stripQueryParam("/a?api_key=k&x=1", "api_key")).isEqualTo("/a?x=1");
        assertThat(AuthHeaders.stripQueryParam("/a?x=1&api_key=k&y=2&api_key", "api_key")).isEqualTo("/a?x=1&y=2");
        assertThat(AuthHeaders.stripQueryParam("/a?api%5Fkey=k", "api_key")).isEqualTo("/a");
        assertThat(AuthHeaders.stripQueryParam("/a?api_keys=1", "api_key")).isEqualTo("/a?api_keys=1");
        assertThat(AuthHeaders.stripQueryParam("/a", "api_key")).isEqualTo("/a");
        assertThat(AuthHeaders.stripQueryParam("/a?", "api_key")).isEqualTo("/a?");
    }

    @Test
    void upstreamUri_stripsTheKeyParam_onlyWhenTheRouteTakesApiKeys() {
        assertThat(AuthHeaders.upstreamUri("/o?api_key=k&n=1", policy(List.of("api_key"), false)))
                .isEqualTo("/o?n=1");
        assertThat(AuthHeaders.upstreamUri("/o?api_key=k", policy(List.of("api_key"), true)))
                .isEqualTo("/o?api_key=k");
        assertThat(AuthHeaders.upstreamUri("/o?api_key=k", policy(List.of("jwt:idp"), false)))
                .isEqualTo("/o?api_key=k");
        assertThat(AuthHeaders.upstreamUri("/o?api_key=k", RoutePolicy.none())).isEqualTo("/o?api_key=k");
    }
}
