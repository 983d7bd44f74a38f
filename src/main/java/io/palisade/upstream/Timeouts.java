package io.palisade.upstream;

import java.time.Duration;

/**
 * Upstream deadlines, all finite (seed 004).
 *
 * @param connect TCP connect to an endpoint
 * @param request from sending the request to the end of the response headers... and body: the whole exchange
 * @param idle    an idle pooled upstream connection is closed after this; also the longest gap between body reads
 */
public record Timeouts(Duration connect, Duration request, Duration idle) {}
