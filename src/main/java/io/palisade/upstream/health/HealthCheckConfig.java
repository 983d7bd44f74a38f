package io.palisade.upstream.health;

import java.time.Duration;

/**
 * An active HTTP check: GET {@code path} every {@code interval}; 2xx/3xx within {@code timeout} passes.
 *
 * @param unhealthyAfter consecutive failures that mark an endpoint unhealthy
 * @param healthyAfter   consecutive passes that mark it healthy again
 */
public record HealthCheckConfig(String path, Duration interval, Duration timeout, int unhealthyAfter,
                                int healthyAfter) {}
