package io.palisade.error;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every way a request can fail at the gateway, each with the status the client sees, the stable code in the JSON
 * body and in metrics ({@code palisade_rejections_total{reason=...}}), and a short message that is safe to show.
 *
 * <p>One table instead of ad-hoc statuses keeps the promises of the seeds checkable in one place: an auth dependency
 * that cannot answer is {@link #AUTH_UNAVAILABLE} (503 + Retry-After), never {@link #FORBIDDEN}; bad input is always a
 * 4xx, never a 5xx.
 */
public enum ErrorKind {
    MALFORMED_REQUEST(400, "malformed_request", "The request line or headers could not be parsed.", true, false),
    AMBIGUOUS_FRAMING(400, "ambiguous_framing",
            "The message length is ambiguous (Transfer-Encoding with Content-Length, or conflicting Content-Length).",
            true, false),
    INVALID_CHUNK(400, "invalid_chunk", "A chunk of the request body is malformed.", true, false),
    OBSOLETE_LINE_FOLDING(400, "obsolete_line_folding", "Header values folded over several lines are not accepted.",
            true, false),
    MISSING_HOST(400, "missing_host", "The request has no Host header.", true, false),
    INVALID_HOST(400, "invalid_host", "The request has more than one Host header or an invalid one.", true, false),
    BODY_REQUIRED(400, "body_required", "This route requires a request body.", false, false),
    TRUNCATED_BODY(400, "truncated_body", "The request body ended before its declared length.", true, false),
    HEADER_READ_TIMEOUT(408, "request_timeout", "The request headers did not arrive in time.", true, false),
    ROUTE_NOT_FOUND(404, "route_not_found", "No route matches this request.", false, false),
    METHOD_NOT_ALLOWED(405, "method_not_allowed", "This method is not allowed on this route.", false, false),
    BODY_TOO_LARGE(413, "body_too_large", "The request body is larger than this route accepts.", true, false),
    URI_TOO_LONG(414, "uri_too_long", "The request URI is too long.", true, false),
    HEADERS_TOO_LARGE(431, "headers_too_large", "The request headers are too large.", true, false),
    UNSUPPORTED_TRANSFER_CODING(501, "unsupported_transfer_coding",
            "Only the chunked transfer coding is supported.", true, false),
    EXPECTATION_FAILED(417, "expectation_failed", "Only Expect: 100-continue is supported.", true, false),
    BODY_TIMEOUT(408, "body_timeout", "The request body did not arrive in time.", true, false),
    INVALID_IDEMPOTENCY_KEY(400, "invalid_idempotency_key",
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters.", false, false),
    WEBSOCKET_NOT_ENABLED(400, "websocket_not_enabled", "This route does not accept WebSocket upgrades.", false,
            false),

    UNAUTHENTICATED(401, "unauthenticated", "Missing or invalid credentials.", false, false),
    FORBIDDEN(403, "forbidden", "This identity is not allowed to call this route.", false, false),
    AUTH_UNAVAILABLE(503, "auth_unavailable", "Authentication is temporarily unavailable; retry later.", false, true),
    RATE_LIMITED(429, "rate_limited", "Rate limit exceeded; retry later.", false, true),
    CONCURRENCY_LIMITED(429, "concurrency_limited", "Too many requests in flight for this consumer.", false, true),
    LOAD_SHED(503, "load_shed", "The service is shedding load; retry later.", false, true),

    UPSTREAM_TIMEOUT(504, "upstream_timeout", "The upstream service did not answer in time.", false, false),
    UPSTREAM_CONNECT_FAILED(502, "upstream_unreachable", "The upstream service could not be reached.", false, false),
    UPSTREAM_PROTOCOL_ERROR(502, "upstream_error", "The upstream service sent an invalid response.", false, false),
    UPSTREAM_RESET(502, "upstream_reset", "The upstream connection closed before a response.", false, false),
    NO_HEALTHY_UPSTREAM(503, "no_healthy_upstream", "No healthy upstream is available; retry later.", false, true),
    UPSTREAM_OVERLOADED(503, "upstream_overloaded", "The upstream cluster is at its limits; retry later.", false, true),
    INGEST_FULL(507, "ingest_full", "This route's storage is full; retry later.", false, true),
    INGEST_UNAVAILABLE(503, "ingest_unavailable", "The ingest store cannot take records right now; retry later.",
            false, true),
    OVERLOADED(503, "overloaded", "The gateway is overloaded; retry later.", true, true),
    SHUTTING_DOWN(503, "shutting_down", "The gateway is shutting down; retry on another instance.", true, true),
    INTERNAL(500, "internal_error", "The gateway failed to handle this request.", true, false);

    private final HttpResponseStatus status;
    private final String code;
    private final String message;
    private final boolean closesConnection;
    private final boolean retryable;

    ErrorKind(int status, String code, String message, boolean closesConnection, boolean retryable) {
        this.status = HttpResponseStatus.valueOf(status);
        this.code = code;
        this.message = message;
        this.closesConnection = closesConnection;
        this.retryable = retryable;
    }

    public HttpResponseStatus status() {
        return status;
    }

    /** The stable machine-readable code: the JSON body's {@code error} and the metric label. */
    public String code() {
        return code;
    }

    /** A short message with no request data in it, safe for any client. */
    public String message() {
        return message;
    }

    /**
     * Whether the connection must close after the response: framing errors leave the byte stream in an unknown state
     * (RFC 9112 §6.3), so reading another request from it could smuggle one.
     */
    public boolean closesConnection() {
        return closesConnection;
    }

    /** Whether the response carries {@code Retry-After}: the failure is on our side and temporary. */
    public boolean retryable() {
        return retryable;
    }
}
