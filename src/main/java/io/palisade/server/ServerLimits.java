package io.palisade.server;

import java.time.Duration;

/**
 * Protocol limits applied to every request before any routing (seed 003: no input may crash or wedge the gateway).
 *
 * @param maxHeaderBytes    the whole header block; larger gets 431
 * @param maxUriBytes       the request target; longer gets 414
 * @param maxBody           the body, unless a route says less; larger gets 413
 * @param headerReadTimeout time from the first byte of a request to the end of its headers; slower gets 408
 * @param clientIdle        an idle keep-alive client connection is closed after this
 * @param maxConnections    client connections per listener; more are closed on accept
 */
public record ServerLimits(long maxHeaderBytes, long maxUriBytes, long maxBody, Duration headerReadTimeout,
                           Duration clientIdle, int maxConnections) {}
