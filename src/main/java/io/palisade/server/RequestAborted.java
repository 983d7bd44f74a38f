package io.palisade.server;

import io.palisade.error.ErrorKind;

/**
 * User event: the request whose head was passed on will not complete; no more of its body and no
 * {@code LastHttpContent} will follow, and the connection closes.
 *
 * <p>Fired by the request validator (see {@link ProtocolHandlers}) towards the proxy when the body turned out malformed
 * ({@link ErrorKind#INVALID_CHUNK}, {@link ErrorKind#OBSOLETE_LINE_FOLDING} in trailers), grew past the body limit
 * ({@link ErrorKind#BODY_TOO_LARGE}), or the client closed before sending all of it ({@link ErrorKind#TRUNCATED_BODY},
 * fired just before {@code channelInactive}). The proxy should abandon the upstream exchange. It must not answer later:
 * if it has not written a response head yet, the validator answers with {@code kind} itself right after this event
 * (a response the proxy writes during the event is used instead); any later response write for the request fails
 * with a {@link io.palisade.error.GatewayException} and is released.
 *
 * @param kind      why the request was abandoned
 * @param requestId the request's id, as in its {@code X-Request-Id}
 */
public record RequestAborted(ErrorKind kind, String requestId) {}
