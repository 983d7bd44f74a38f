package io.palisade.upstream;

/**
 * @param attempts retries after the first try (0 = none); only for idempotent methods, or when nothing was sent
 * @param budget   retries in flight may be at most this share of requests in flight (plus a floor of a few), so a
 *                 failing cluster is never hit with a retry storm
 */
public record RetryConfig(int attempts, double budget) {}
