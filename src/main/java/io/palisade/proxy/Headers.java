package io.palisade.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.palisade.route.RouteTable;
import io.palisade.tls.TlsConnection;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Header rewriting between the two hops: an {@link Exchange}'s request head on its way upstream
 * ({@link #toUpstream}) and the upstream's response head on its way to the client ({@link #toClient}). Hop-by-hop
 * headers (RFC 9110 §7.6.1) describe one connection and must not travel to the next; forwarding them lets a client
 * steer the gateway's upstream connection (e.g. close it, or smuggle a header past us by naming it in
 * {@code Connection}).
 */
final class Headers {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
    static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    static final AsciiString HTTP = AsciiString.cached("http");
    static final AsciiString HTTPS = AsciiString.cached("https");

    private static final AsciiString[] HOP_BY_HOP = {
        HttpHeaderNames.CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE, HttpHeaderNames.TRAILER,
        HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHORIZATION,
        HttpHeaderNames.PROXY_AUTHENTICATE
    };
    static final AsciiString TRACESTATE = AsciiString.cached("tracestate");
    private static final int TRACEPARENT_LENGTH = 55;
    private static final byte[] NEW_TRACE = "00-00000000000000000000000000000000-0000000000000000-01"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private Headers() {}

    /**
     * The request head as the upstream gets it, once, before the first attempt: no hop-by-hop headers, forwarding
     * headers, the request id and trace, chunked framing kept, origin-form target (with the route's prefix stripped
     * when it says so), HTTP/1.1.
     */
    static void toUpstream(Exchange ex) {
        HttpRequest request = ex.request;
        HttpHeaders h = request.headers();
        ex.clientAcceptsTrailers = h.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
        removeHopByHop(h);
        if (!h.contains(HttpHeaderNames.HOST)) {
            // An HTTP/1.0 client may omit Host, but what goes upstream is HTTP/1.1, where a request without Host is
            // malformed (RFC 9112 §3.2): name the authority the client reached.
            h.set(HttpHeaderNames.HOST, authority(ex.ctx.channel().localAddress()));
        }
        addForwarded(h, ex.peerIp, ex.host, TlsConnection.isSecure(ex.ctx.channel()));
        if (!ex.requestId.equals(h.get(X_REQUEST_ID))) {
            // The validator set it, and requestId was read from it: only a filter could have changed it.
            h.set(X_REQUEST_ID, ex.requestId);
        }
        propagateTrace(h);
        if (ex.upgrade) {
            WebSocketTunnel.restoreUpgradeHeaders(ex, h);
        }
        if (ex.chunkedRequest) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        String uri = request.uri();
        if (ex.route.config().stripPrefix()) {
            uri = RouteTable.rewritePath(ex.route.config(), uri);
        } else if (!uri.startsWith("/")) {
            // absolute-form from the client: send origin-form upstream
            uri = ex.query.isEmpty() ? ex.path : ex.path + "?" + ex.query;
        }
        request.setUri(uri);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * The upstream's response head as the client gets it: no hop-by-hop headers, framing the client's HTTP version
     * can read (chunked, or delimited by the close for HTTP/1.0), the request id, the filters' response headers, and
     * {@code Connection} as the exchange decided (it closes after a response to a request whose body is not all read,
     * a client that does not keep alive, or while draining).
     */
    static void toClient(Exchange ex, HttpResponse response) {
        HttpRequest request = ex.request;
        int status = response.status().code();
        HttpHeaders h = response.headers();
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        removeHopByHop(h);
        boolean bodiless = request.method() == HttpMethod.HEAD || status == 204 || status == 304;
        boolean http10Client = request.protocolVersion() == HttpVersion.HTTP_1_0 || !ex.clientKeepAlive
                && request.protocolVersion() != HttpVersion.HTTP_1_1;
        if (!hasLength && !bodiless) {
            if (http10Client) {
                ex.closeAfterResponse = true; // HTTP/1.0 has no chunked coding: the close ends the body
            } else {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
        } else if (chunked && bodiless) {
            h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        }
        if (!h.contains(X_REQUEST_ID)) {
            h.set(X_REQUEST_ID, ex.requestId);
        }
        if (ex.extraResponseHeaders != null) {
            h.add(ex.extraResponseHeaders);
        }
        if (!ex.requestComplete || !ex.clientKeepAlive || ex.runtime.draining()) {
            ex.closeAfterResponse = true;
        }
        response.setProtocolVersion(request.protocolVersion() == HttpVersion.HTTP_1_0 ? HttpVersion.HTTP_1_0
                : HttpVersion.HTTP_1_1);
        if (ex.closeAfterResponse) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion() == HttpVersion.HTTP_1_0) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private static String authority(java.net.SocketAddress local) {
        if (local instanceof java.net.InetSocketAddress a) {
            String ip = a.getAddress().getHostAddress();
            return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + a.getPort();
        }
        return "localhost";
    }

    /**
     * Removes hop-by-hop headers, including any named in {@code Connection}, but never {@code Content-Length} or
     * {@code Host}: the message's framing and target are not the sender's to declare hop-by-hop. A client that sent
     * {@code Connection: Content-Length} would otherwise get a head forwarded without its length and its body read by
     * the upstream as the next request (request smuggling).
     */
    static void removeHopByHop(HttpHeaders headers) {
        Iterator<String> connection = headers.valueStringIterator(HttpHeaderNames.CONNECTION);
        while (connection.hasNext()) {
            String value = connection.next();
            int start = 0;
            while (start < value.length()) {
                int comma = value.indexOf(',', start);
                int end = comma < 0 ? value.length() : comma;
                String token = value.substring(start, end).trim();
                if (!token.isEmpty() && !token.equalsIgnoreCase("content-length") && !token.equalsIgnoreCase("host")) {
                    headers.remove(token);
                }
                start = end + 1;
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    /** Appends the client address to {@code X-Forwarded-For} and sets the other forwarding headers. */
    static void addForwarded(HttpHeaders headers, String clientIp, String host) {
        addForwarded(headers, clientIp, host, false);
    }

    /** As {@link #addForwarded(HttpHeaders, String, String)}; {@code secure}: the client came over TLS. */
    static void addForwarded(HttpHeaders headers, String clientIp, String host, boolean secure) {
        String prior = headers.get(X_FORWARDED_FOR);
        headers.set(X_FORWARDED_FOR, prior == null || prior.isBlank() ? clientIp : prior + ", " + clientIp);
        headers.set(X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
        if (host != null) {
            headers.set(X_FORWARDED_HOST, host);
        }
    }

    /**
     * Continues the caller's W3C trace with the gateway as a new span (same trace id, fresh parent id, same flags), or
     * starts a trace when there is no valid {@code traceparent}.
     */
    static void propagateTrace(HttpHeaders headers) {
        String incoming = headers.get(TRACEPARENT);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] out = new byte[TRACEPARENT_LENGTH];
        if (incoming != null && isValidTraceparent(incoming)) {
            for (int i = 0; i < TRACEPARENT_LENGTH; i++) {
                out[i] = (byte) incoming.charAt(i); // validated: hex digits and dashes
            }
            writeHex(out, 36, random.nextLong() | 1L); // parent-id at 36..51, never all zero
        } else {
            System.arraycopy(NEW_TRACE, 0, out, 0, TRACEPARENT_LENGTH);
            writeHex(out, 3, random.nextLong() | 1L);
            writeHex(out, 19, random.nextLong());
            writeHex(out, 36, random.nextLong() | 1L);
            headers.remove(TRACESTATE);
        }
        // An AsciiString on the bytes as they are: no String and no char array, and the encoder copies it as bytes.
        headers.set(TRACEPARENT, new AsciiString(out, false));
    }

    static boolean isValidTraceparent(String v) {
        // version(2)-traceid(32)-parentid(16)-flags(2); version ff is invalid; all-zero ids are invalid.
        if (v.length() != 55 || v.charAt(2) != '-' || v.charAt(35) != '-' || v.charAt(52) != '-') {
            return false;
        }
        if (v.startsWith("ff")) {
            return false;
        }
        boolean traceNonZero = false;
        boolean parentNonZero = false;
        for (int i = 0; i < 55; i++) {
            if (i == 2 || i == 35 || i == 52) {
                continue;
            }
            char c = v.charAt(i);
            boolean hex = c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
            if (!hex) {
                return false;
            }
            if (c != '0' && i > 2 && i < 35) {
                traceNonZero = true;
            }
            if (c != '0' && i > 35 && i < 52) {
                parentNonZero = true;
            }
        }
        return traceNonZero && parentNonZero;
    }

    /** Writes {@code value} as 16 lowercase hex digits at {@code offset}. */
    private static void writeHex(byte[] out, int offset, long value) {
        for (int i = 15; i >= 0; i--) {
            out[offset + i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
