package io.palisade.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * How a request that passed the request validator is framed on the client connection: its body (none, a declared
 * length, or chunked), whether the connection stays open after it, its HTTP version and whether it waits for a
 * {@code 100 Continue}. The validator decides it once, after its RFC 9112 checks, and records it on the request; the
 * proxy reads that decision instead of parsing the framing headers again, so the two can never disagree on an edge
 * case (an {@code Expect} list the validator accepted, say).
 *
 * <pre>{@code
 * RequestFraming framing = RequestFraming.of(request);
 * if (framing.hasBody() && !requestComplete) { ... a body is still coming ... }
 * }</pre>
 */
public final class RequestFraming {
    private static final int CHUNKED = 1;
    private static final int KEEP_ALIVE = 2;
    private static final int HTTP_10 = 4;
    private static final int EXPECTS_CONTINUE = 8;
    /** Every framing without a declared length, shared: most requests have none, and then cost no object. */
    private static final RequestFraming[] WITHOUT_LENGTH = new RequestFraming[16];

    static {
        for (int flags = 0; flags < WITHOUT_LENGTH.length; flags++) {
            WITHOUT_LENGTH[flags] = new RequestFraming(flags, (flags & CHUNKED) != 0 ? -1 : 0);
        }
    }

    private final int flags;
    private final long contentLength;

    private RequestFraming(int flags, long contentLength) {
        this.flags = flags;
        this.contentLength = contentLength;
    }

    /**
     * The validator's decision for {@code request}. A request that did not come through a validator (one built in
     * code) gets the same decision made from its headers now, which then must be well-formed.
     */
    public static RequestFraming of(HttpRequest request) {
        if (request.headers() instanceof RequestHeaders headers && headers.framing() != null) {
            return headers.framing();
        }
        return decide(request);
    }

    /**
     * Decides the framing of a head whose framing headers the validator has checked: {@code Transfer-Encoding} is
     * {@code chunked} alone (HTTP/1.1, no {@code Content-Length}) if present, {@code Content-Length} is digits, and
     * {@code Expect} is {@code 100-continue} alone if present.
     */
    static RequestFraming decide(HttpRequest request) {
        HttpHeaders headers = request.headers();
        boolean http10 = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        int flags = (chunked ? CHUNKED : 0) | (http10 ? HTTP_10 : 0)
                | (HttpUtil.isKeepAlive(request) ? KEEP_ALIVE : 0)
                // RFC 9110 §10.1.1: a 100-continue from an HTTP/1.0 client is ignored.
                | (!http10 && headers.contains(HttpHeaderNames.EXPECT)
                        && HttpSyntax.isExactly(headers.getAll(HttpHeaderNames.EXPECT), "100-continue")
                        ? EXPECTS_CONTINUE : 0);
        long length = chunked ? -1 : HttpUtil.getContentLength(request, 0L);
        return length > 0 ? new RequestFraming(flags, length) : WITHOUT_LENGTH[flags];
    }

    /** Whether the body is chunked ({@code Transfer-Encoding: chunked}); then {@link #contentLength()} is -1. */
    public boolean chunked() {
        return (flags & CHUNKED) != 0;
    }

    /** The declared {@code Content-Length}: 0 when the request has none, -1 when the body is chunked. */
    public long contentLength() {
        return contentLength;
    }

    /** Whether a body may follow the head: chunked (possibly empty), or a declared length above 0. */
    public boolean hasBody() {
        return contentLength != 0;
    }

    /** Whether the client keeps the connection open after this request (RFC 9112 §9.3, by version and Connection). */
    public boolean keepAlive() {
        return (flags & KEEP_ALIVE) != 0;
    }

    /** Whether the client speaks HTTP/1.0 (no chunked coding in its responses); otherwise it speaks HTTP/1.1. */
    public boolean http10() {
        return (flags & HTTP_10) != 0;
    }

    /** Whether the client waits for a {@code 100 Continue} before it sends the body (HTTP/1.1 only). */
    public boolean expectsContinue() {
        return (flags & EXPECTS_CONTINUE) != 0;
    }

    @Override
    public String toString() {
        return "RequestFraming[" + (chunked() ? "chunked" : "length=" + contentLength)
                + (keepAlive() ? ", keep-alive" : ", close") + (http10() ? ", HTTP/1.0" : ", HTTP/1.1")
                + (expectsContinue() ? ", 100-continue" : "") + "]";
    }
}
