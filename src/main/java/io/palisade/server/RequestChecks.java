package io.palisade.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import java.util.List;

/**
 * The RFC 9110/9112 checks of a request head the decoder emitted, and which answer each failure gets: the part of the
 * {@link RequestValidator} that looks at one message and knows nothing of the connection, so it can change without
 * touching the sequencing and closing around it. A head that passes leaves with its {@link RequestFraming} decided and
 * recorded on it.
 */
final class RequestChecks {
    private final long maxUriBytes;
    private final long maxBody;

    RequestChecks(ServerLimits limits) {
        this.maxUriBytes = limits.maxUriBytes();
        this.maxBody = limits.maxBody();
    }

    /** The body a request may have, declared or counted as it arrives. */
    long maxBody() {
        return maxBody;
    }

    /** What is wrong with a head decoded without error, or null when it may go to the proxy. */
    ErrorKind check(HttpRequest request) {
        String target = request.uri();
        if (target.length() > maxUriBytes) {
            return ErrorKind.URI_TOO_LONG;
        }
        HttpMethod method = request.method();
        if (!HttpSyntax.isValidTarget(method, target)) {
            return ErrorKind.MALFORMED_REQUEST;
        }
        HttpHeaders headers = request.headers();
        boolean http11 = HttpVersion.HTTP_1_1.equals(request.protocolVersion());
        // No getAll and no iterator: this runs for every request; the decoder counted the Host fields.
        String host = headers.get(HttpHeaderNames.HOST);
        if (host == null) {
            if (http11) {
                return ErrorKind.MISSING_HOST;
            }
        } else if (RequestHeaders.fieldsSent(headers, HttpHeaderNames.HOST) > 1 || !HttpSyntax.isValidHost(host)) {
            return ErrorKind.INVALID_HOST;
        }
        if (HttpMethod.CONNECT.equals(method)) {
            return ErrorKind.METHOD_NOT_ALLOWED;
        }
        boolean hasLength = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            ErrorKind coding = transferCodingError(request);
            if (coding != null) {
                return coding;
            }
        } else if (!hasLength && HttpMethod.GET.equals(method) && headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY1)
                && headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY2)) {
            // Netty would read an 8-byte hixie-76 body here that no other hop expects.
            return ErrorKind.AMBIGUOUS_FRAMING;
        }
        // The framing headers are unambiguous now: the framing is decided here, once, for the validator and the proxy.
        RequestFraming framing = RequestFraming.decide(request);
        if (framing.contentLength() > maxBody) {
            return ErrorKind.BODY_TOO_LARGE;
        }
        if (headers.contains(HttpHeaderNames.EXPECT)) {
            List<String> expectations = headers.getAll(HttpHeaderNames.EXPECT);
            if (!HttpSyntax.isExactly(expectations, "100-continue")) {
                return ErrorKind.EXPECTATION_FAILED;
            }
            if (!http11) {
                // RFC 9110 §10.1.1: a 100-continue from an HTTP/1.0 client is ignored, so nobody sends it a 100.
                headers.remove(HttpHeaderNames.EXPECT);
            }
        }
        if (headers instanceof RequestHeaders decoded) {
            decoded.framing(framing);
        }
        return null;
    }

    /** The answer to a head whose decoding failed with {@code cause}. */
    static ErrorKind headFailure(HttpRequest request, Throwable cause) {
        if (cause instanceof GatewayException g) {
            return g.kind();
        }
        // Netty (4.2.18+) fails a request whose Transfer-Encoding it cannot frame before the checks here see it, with
        // a generic exception; the partly decoded head still has its headers, so it gets the same answer it would get
        // from check(): ambiguous framing, or 501 for a coding the gateway does not implement.
        if (request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            ErrorKind framing = transferCodingError(request);
            if (framing != null) {
                return framing;
            }
        }
        if (cause instanceof TooLongHttpLineException) {
            return ErrorKind.URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return ErrorKind.HEADERS_TOO_LARGE;
        }
        return ErrorKind.MALFORMED_REQUEST;
    }

    /** The answer to a body part whose decoding failed with {@code cause}. */
    static ErrorKind bodyFailure(Throwable cause) {
        return cause instanceof GatewayException g ? g.kind() : ErrorKind.INVALID_CHUNK;
    }

    /**
     * What is wrong with a request's {@code Transfer-Encoding}, or null when it is {@code chunked} alone on HTTP/1.1
     * without {@code Content-Length}.
     */
    private static ErrorKind transferCodingError(HttpRequest request) {
        HttpHeaders headers = request.headers();
        // RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 means faulty framing; with Content-Length, smuggling.
        if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion())
                || headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return ErrorKind.AMBIGUOUS_FRAMING;
        }
        List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!HttpSyntax.isExactly(codings, "chunked")) {
            // RFC 9112 §6.3: a request whose final coding is not chunked has no reliable length: 400, not 501.
            return HttpSyntax.lastElementIs(codings, "chunked") ? ErrorKind.UNSUPPORTED_TRANSFER_CODING
                    : ErrorKind.AMBIGUOUS_FRAMING;
        }
        return null;
    }
}
