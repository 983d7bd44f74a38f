package io.palisade.ratelimit;

import java.util.Map;

/**
 * A snapshot of a {@link RateLimiter} for metrics.
 *
 * @param tableSize           entries in the local key table (approximate while maintenance is pending)
 * @param maxKeys             the table's budget ({@code max_keys})
 * @param evictions           entries dropped to stay within the budget since start
 * @param expirations         idle entries dropped once their state was empty, since start
 * @param rejectionsByRule    rejected requests per {@code route/rule}, since start
 * @param fallbackActive      the store is Redis and global rules are being decided locally at this node's share
 * @param fallbackActivations transitions into fallback since start
 * @param fallbackDecisions   checks of global rules decided locally because Redis could not answer
 * @param redisErrors         Redis calls that failed or missed their deadline (checks, probes, connects)
 */
public record LimiterStats(long tableSize, long maxKeys, long evictions, long expirations,
                           Map<String, Long> rejectionsByRule, boolean fallbackActive, long fallbackActivations,
                           long fallbackDecisions, long redisErrors) {
    public LimiterStats {
        rejectionsByRule = Map.copyOf(rejectionsByRule);
    }
}
