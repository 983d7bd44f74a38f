package io.palisade.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.Address;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RateLimitConfigTest {

    @Test
    void redisSection_isParsedWithDefaultsFilledIn() {
        ConfigErrors errors = new ConfigErrors();
        RateLimitSettings s = RateLimitSettings.parse(Yaml.node("""
                store: redis
                redis: { address: 127.0.0.1:6380, timeout: 50ms }
                nodes: 3
                max_keys: 200000
                """, "rate_limiting", errors));
        assertThat(errors.list()).isEmpty();
        assertThat(s.store()).isEqualTo(RateLimitSettings.Store.REDIS);
        assertThat(s.redis().orElseThrow().address()).isEqualTo(new Address("127.0.0.1", 6380));
        assertThat(s.redis().orElseThrow().timeout()).isEqualTo(Duration.ofMillis(50));
        assertThat(s.redis().orElseThrow().probeInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.nodes()).isEqualTo(3);
        assertThat(s.maxKeys()).isEqualTo(200_000);
    }

    @Test
    void absentSection_meansLocalStoreWithDefaults() {
        ConfigErrors errors = new ConfigErrors();
        RateLimitSettings s = RateLimitSettings.parse(new ConfigNode(null, "rate_limiting", errors));
        assertThat(errors.list()).isEmpty();
        assertThat(s).isEqualTo(RateLimitSettings.defaults());
        assertThat(s.maxKeys()).isEqualTo(RateLimitSettings.DEFAULT_MAX_KEYS);
    }

    @Test
    void redisStoreWithoutTimeout_isRefusedWithPathAndExpectation() {
        ConfigErrors errors = new ConfigErrors();
        RateLimitSettings.parse(Yaml.node("""
                store: redis
                redis: { address: 127.0.0.1:6379 }
                """, "rate_limiting", errors));
        assertThat(errors.list()).containsExactly(
                "rate_limiting.redis.timeout: missing (expected: a finite duration like 250ms, 5s)");
    }

    @Test
    void zeroTimeoutUnknownKeysAndBadValues_areAllReportedInOnePass() {
        ConfigErrors errors = new ConfigErrors();
        RateLimitSettings s = RateLimitSettings.parse(Yaml.node("""
                store: memcached
                redis: { address: "localhost", timeout: 0s, retries: 3 }
                nodes: 0
                max_key: 5
                """, "rate_limiting", errors));
        assertThat(errors.list()).containsExactlyInAnyOrder(
                "rate_limiting.max_key: unknown key (expected one of: max_keys, nodes, redis, store)",
                "rate_limiting.store: memcached (expected: one of local, redis)",
                "rate_limiting.redis.retries: unknown key (expected one of: address, probe_interval, timeout)",
                "rate_limiting.redis.address: localhost (expected: host:port like 127.0.0.1:6379 or [::1]:6379)",
                "rate_limiting.redis.timeout: 0s (expected: > 0)",
                "rate_limiting.nodes: 0 (expected: between 1 and 10000)");
        assertThat(s.store()).isEqualTo(RateLimitSettings.Store.LOCAL);
    }

    @Test
    void redisStoreWithoutRedisSection_isAnError() {
        ConfigErrors errors = new ConfigErrors();
        RateLimitSettings.parse(Yaml.node("store: redis", "rate_limiting", errors));
        assertThat(errors.list()).containsExactly("rate_limiting.redis: missing (expected: a mapping with address"
                + " and timeout when store is redis)");
    }

    @Test
    void ipv6RedisAddress_isAccepted() {
        ConfigErrors errors = new ConfigErrors();
        RateLimitSettings s = RateLimitSettings.parse(Yaml.node("""
                redis: { address: "[::1]:6379", timeout: 1s, probe_interval: 250ms }
                """, "rate_limiting", errors));
        assertThat(errors.list()).isEmpty();
        assertThat(s.redis().orElseThrow().address()).isEqualTo(new Address("::1", 6379));
        assertThat(s.redis().orElseThrow().probeInterval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void routeRules_parseKeysRatesBurstDefaultsNamesAndConcurrency() {
        ConfigErrors errors = new ConfigErrors();
        RouteLimits limits = RouteLimits.parse(Yaml.node("""
                match: { path_prefix: /orders }
                cluster: orders
                rate_limits:
                  - { key: ip, rate: 100/s, burst: 200, before_auth: true }
                  - { key: consumer, rate: 50/s, burst: 100, scope: local }
                  - { key: consumer, rate: 100000/d, name: daily }
                  - { key: [consumer, header:X-Region], rate: 10/s }
                concurrency: { per_consumer: 32 }
                """, "routes[0]", errors));
        assertThat(errors.list()).isEmpty();
        List<RateRule> rules = limits.rules();
        assertThat(rules).extracting(RateRule::name)
                .containsExactly("ip-100/s", "consumer-50/s", "daily", "consumer+header:x-region-10/s");
        assertThat(rules.get(0).beforeAuth()).isTrue();
        assertThat(rules.get(0).burst()).isEqualTo(200);
        assertThat(rules.get(1).scope()).isEqualTo(Scope.LOCAL);
        assertThat(rules.get(2).scope()).isEqualTo(Scope.GLOBAL);
        assertThat(rules.get(2).burst()).as("burst defaults to the per-period amount").isEqualTo(100_000);
        assertThat(rules.get(2).rate().period()).isEqualTo(Duration.ofDays(1));
        assertThat(rules.get(3).key()).extracting(KeyPart::toString).containsExactly("consumer", "header:x-region");
        assertThat(rules.get(3).burst()).isEqualTo(10);
        assertThat(limits.rules(Phase.BEFORE_AUTH)).hasSize(1);
        assertThat(limits.rules(Phase.AFTER_AUTH)).hasSize(3);
        assertThat(limits.perConsumerConcurrency()).isEqualTo(OptionalInt.of(32));
        assertThat(limits.policyHeader()).contains("\"ip-100/s\";q=100;w=1;palisade-burst=200, "
                + "\"consumer-50/s\";q=50;w=1;palisade-burst=100, \"daily\";q=100000;w=86400, "
                + "\"consumer+header:x-region-10/s\";q=10;w=1");
    }

    @Test
    void routeWithoutLimits_isNone() {
        ConfigErrors errors = new ConfigErrors();
        RouteLimits limits = RouteLimits.parse(Yaml.node("cluster: orders", "routes[0]", errors));
        assertThat(errors.list()).isEmpty();
        assertThat(limits).isSameAs(RouteLimits.none());
        assertThat(limits.isEmpty()).isTrue();
    }

    @Test
    void badRules_areReportedAtTheirPaths() {
        ConfigErrors errors = new ConfigErrors();
        RouteLimits limits = RouteLimits.parse(Yaml.node("""
                rate_limits:
                  - { key: ip, rate: 100/sec }
                  - { key: user, rate: 5/s }
                  - { key: consumer, rate: 5/s, before_auth: true }
                  - { key: ip, rate: 5/s, burst: 0 }
                  - { key: [ip, ip], rate: 5/s }
                  - { rate: 5/s }
                  - { key: ip, rate: 5/s, scope: cluster, colour: red }
                  - { key: path, rate: 5/s, name: "has space" }
                  - { key: ip, rate: 2000000/s }
                  - { key: route, rate: 1/s }
                  - { key: route, rate: 1/s }
                concurrency: { per_consumer: 0, per_ip: 3 }
                """, "routes[2]", errors));
        assertThat(errors.list()).containsExactlyInAnyOrder(
                "routes[2].rate_limits[0].rate: 100/sec (expected: a rate like 100/s, 50/m, 1000/h, 100000/d)",
                "routes[2].rate_limits[1].key: user (expected: ip, consumer, route, path or header:NAME, or a list"
                        + " of them)",
                "routes[2].rate_limits[2].before_auth: true (expected: false for a rule keyed by consumer: the"
                        + " consumer is known only after authentication)",
                "routes[2].rate_limits[3].burst: 0 (expected: between 1 and 1000000000)",
                "routes[2].rate_limits[4].key[1]: ip (expected: each key part at most once)",
                "routes[2].rate_limits[5].key: missing (expected: ip, consumer, route, path or header:NAME, or a"
                        + " list of them)",
                "routes[2].rate_limits[6].colour: unknown key (expected one of: before_auth, burst, key, name, rate,"
                        + " scope)",
                "routes[2].rate_limits[6].scope: cluster (expected: one of local, global)",
                "routes[2].rate_limits[7].name: has space (expected: 1 to 64 printable characters without spaces,"
                        + " quotes or backslashes)",
                "routes[2].rate_limits[8].rate: 2000000/s (expected: at most 1000000 per second)",
                "routes[2].rate_limits[10]: duplicate rule name 'route-1/s' (expected: unique within the route; add"
                        + " name: to tell the rules apart)",
                "routes[2].concurrency.per_ip: unknown key (expected one of: per_consumer)",
                "routes[2].concurrency.per_consumer: 0 (expected: between 1 and 1000000)");
        assertThat(limits.rules()).extracting(RateRule::name).containsExactly("route-1/s");
    }

    @Test
    void burstThatWouldTakeOverAYearToRefill_isRefused() {
        ConfigErrors errors = new ConfigErrors();
        RouteLimits.parse(Yaml.node("""
                rate_limits:
                  - { key: consumer, rate: 1/d, burst: 500 }
                """, "routes[0]", errors));
        assertThat(errors.list()).containsExactly(
                "routes[0].rate_limits[0].burst: 500 (expected: a burst the rate refills within 400 days)");
    }
}
