package io.palisade.upstream.health;

/**
 * The outcome of one active check.
 *
 * @param detail why, for logs and events: {@code status 200}, {@code status 503}, {@code timed out after 1000 ms},
 *               {@code connect failed: Connection refused}
 */
public record ProbeResult(boolean passed, String detail) {}
