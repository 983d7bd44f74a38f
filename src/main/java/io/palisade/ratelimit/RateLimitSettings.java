package io.palisade.ratelimit;

import io.palisade.config.Address;
import io.palisade.config.ConfigNode;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The gateway-wide {@code rate_limiting} section: where global limits live and how large the local key table may grow.
 *
 * <pre>{@code
 * rate_limiting:
 *   store: redis                                  # local (default) | redis
 *   redis: { address: 127.0.0.1:6379, timeout: 50ms, probe_interval: 1s }
 *   nodes: 3                                      # fallback share of a global limit = limit / nodes
 *   max_keys: 200000                              # key table budget; idle keys are evicted first
 * }</pre>
 *
 * @param store   where {@code scope: global} rules are counted
 * @param redis   present when the section was written; required when {@code store} is {@link Store#REDIS}
 * @param nodes   how many gateway nodes share a global limit; while Redis cannot answer, each node enforces
 *                {@code rate / nodes} (and {@code burst / nodes}, rounded up) on its own
 * @param maxKeys the most entries the local key table holds (local rules and fallback shares together)
 */
public record RateLimitSettings(Store store, Optional<RedisSettings> redis, int nodes, long maxKeys) {
    public static final long DEFAULT_MAX_KEYS = 100_000;
    public static final long MAX_MAX_KEYS = 50_000_000;
    public static final int MAX_NODES = 10_000;

    private static final Set<String> KEYS = Set.of("store", "redis", "nodes", "max_keys");

    public RateLimitSettings {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(redis, "redis");
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new IllegalArgumentException("nodes: " + nodes);
        }
        if (maxKeys < 1 || maxKeys > MAX_MAX_KEYS) {
            throw new IllegalArgumentException("max_keys: " + maxKeys);
        }
        if (store == Store.REDIS && redis.isEmpty()) {
            throw new IllegalArgumentException("store: redis needs redis settings");
        }
    }

    /** Where global rules are counted. */
    public enum Store {
        /** Every rule is counted on this node only; {@code scope: global} has no effect. */
        LOCAL,
        /** {@code scope: global} rules are counted in Redis, shared by all nodes. */
        REDIS
    }

    /**
     * @param address       the Redis server (standalone; Redis Cluster is not supported)
     * @param timeout       the deadline of one limit check or probe round trip; required, finite
     * @param probeInterval while falling back, how often the next check may try Redis again
     */
    public record RedisSettings(Address address, Duration timeout, Duration probeInterval) {
        public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);
        static final Duration MAX_TIMEOUT = Duration.ofSeconds(10);
        static final Duration MAX_PROBE_INTERVAL = Duration.ofMinutes(1);
        private static final Set<String> KEYS = Set.of("address", "timeout", "probe_interval");

        public RedisSettings {
            Objects.requireNonNull(address, "address");
            if (timeout.isZero() || timeout.isNegative() || probeInterval.isZero() || probeInterval.isNegative()) {
                throw new IllegalArgumentException("redis durations must be > 0");
            }
        }

        static RedisSettings parse(ConfigNode node) {
            node.rejectUnknown(KEYS);
            Address address = parseAddress(node.get("address"));
            Duration timeout = node.get("timeout").requiredDuration(MAX_TIMEOUT);
            Duration probe = node.get("probe_interval").duration(DEFAULT_PROBE_INTERVAL, MAX_PROBE_INTERVAL);
            return new RedisSettings(address, timeout, probe);
        }
    }

    /** Local store, 1 node, {@link #DEFAULT_MAX_KEYS}: what an absent section means. */
    public static RateLimitSettings defaults() {
        return new RateLimitSettings(Store.LOCAL, Optional.empty(), 1, DEFAULT_MAX_KEYS);
    }

    /** A copy of these settings with another key budget. */
    public RateLimitSettings withMaxKeys(long max) {
        return new RateLimitSettings(store, redis, nodes, max);
    }

    /**
     * Reads the {@code rate_limiting} node. Errors are recorded in the node's {@code ConfigErrors}, and a usable value
     * (the defaults where a value was bad) is still returned so one pass reports every mistake.
     */
    public static RateLimitSettings parse(ConfigNode node) {
        if (!node.isPresent() || !node.expectObject()) {
            return defaults();
        }
        node.rejectUnknown(KEYS);
        Store store = "redis".equals(node.get("store").oneOf("local", List.of("local", "redis")))
                ? Store.REDIS : Store.LOCAL;
        ConfigNode redisNode = node.get("redis");
        Optional<RedisSettings> redis = Optional.empty();
        if (redisNode.isPresent() && redisNode.expectObject()) {
            redis = Optional.of(RedisSettings.parse(redisNode));
        }
        if (store == Store.REDIS && !redisNode.isPresent()) {
            redisNode.error("missing (expected: a mapping with address and timeout when store is redis)");
        }
        int nodes = node.get("nodes").intValue(1, 1, MAX_NODES);
        long maxKeys = node.get("max_keys").longValue(DEFAULT_MAX_KEYS, 1, MAX_MAX_KEYS);
        if (store == Store.REDIS && redis.isEmpty()) {
            store = Store.LOCAL;
        }
        return new RateLimitSettings(store, redis, nodes, maxKeys);
    }

    static Address parseAddress(ConfigNode node) {
        Optional<String> text = node.optString();
        if (text.isEmpty()) {
            if (!node.isPresent()) {
                node.error("missing (expected: host:port like 127.0.0.1:6379)");
            }
            return new Address("127.0.0.1", 6379);
        }
        String s = text.get().trim();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                node.invalid("host:port like 127.0.0.1:6379 or [::1]:6379");
                return new Address("127.0.0.1", 6379);
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon) {
                node.invalid("host:port like 127.0.0.1:6379 or [::1]:6379");
                return new Address("127.0.0.1", 6379);
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (host.isEmpty() || p < 1 || p > 65535) {
            node.invalid("host:port with a port between 1 and 65535");
            return new Address("127.0.0.1", 6379);
        }
        return new Address(host, p);
    }
}
