package io.palisade.upstream.health;

import java.time.Duration;

/**
 * Passive ejection from real traffic.
 *
 * @param consecutiveFailures 5xx/connect failures/timeouts in a row that eject an endpoint
 * @param ejection            the first ejection's length; each repeat multiplies it, up to {@code maxEjection}
 * @param maxEjection         the longest ejection
 * @param maxEjectionPercent  never eject more than this share of a cluster's endpoints
 * @param panicThreshold      when passive ejections leave fewer than this percentage of the endpoints that active
 *                            checks allow, the ejected ones take traffic again (0: never)
 */
public record OutlierConfig(int consecutiveFailures, Duration ejection, Duration maxEjection,
                            int maxEjectionPercent, int panicThreshold) {}
