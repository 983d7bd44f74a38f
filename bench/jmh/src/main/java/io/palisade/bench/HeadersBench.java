package io.palisade.bench;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Header handling between the two hops, on a Netty {@link DefaultHttpHeaders} with 15 typical request headers. The
 * proxy's own {@code io.palisade.proxy.Headers} is package-private, so these are the same operations through public
 * Netty APIs:
 * <ul>
 *   <li>{@code copy*}: the cost of a copy alone (validating as decoded headers are, and not);</li>
 *   <li>{@link #requestInPlace}: what the proxy does to each request today: a copy (standing in for the decoded
 *       headers), the {@code Connection} tokens split and each named header removed, then a remove per hop-by-hop
 *       name (nine), {@code X-Forwarded-*}, {@code X-Request-Id} and a fresh {@code traceparent};</li>
 *   <li>{@link #requestFilteredCopy}: the alternative of one pass over the headers that copies all but the
 *       hop-by-hop ones into headers that skip re-validation (the decoder validated them), then the same additions;</li>
 *   <li>{@link #responseInPlace}: the response side (keep-alive and framing checks, hop-by-hop removal, request id).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeadersBench {
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString[] HOP_BY_HOP = {
        HttpHeaderNames.CONNECTION, AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"),
        HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
        HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE
    };
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final DefaultHttpHeadersFactory TRUSTED = DefaultHttpHeadersFactory.headersFactory()
            .withValidation(false);

    private HttpHeaders request;
    private HttpHeaders response;

    @Setup
    public void setup() {
        request = new DefaultHttpHeaders();
        request.add("Host", "api.example.com");
        request.add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0");
        request.add("Accept", "application/json, text/plain, */*");
        request.add("Accept-Encoding", "gzip, deflate, br");
        request.add("Accept-Language", "en-GB,en;q=0.9");
        request.add("Connection", "keep-alive");
        request.add("Cookie", "session=8d3f1c2a9b7e4f60; theme=dark");
        request.add("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl");
        request.add("Content-Type", "application/json");
        request.add("Content-Length", "348");
        request.add("X-Forwarded-For", "203.0.113.7");
        request.add("Referer", "https://app.example.com/orders");
        request.add("Cache-Control", "no-cache");
        request.add("X-Api-Key", "k-6f1e0c2d9b8a4735");
        request.add("Sec-Fetch-Mode", "cors");

        response = new DefaultHttpHeaders();
        response.add("Content-Type", "application/json");
        response.add("Content-Length", "1024");
        response.add("Date", "Sun, 22 Nov 2026 02:00:00 GMT");
        response.add("Server", "origin");
        response.add("Cache-Control", "private, max-age=0");
        response.add("ETag", "\"5d1c0f3e\"");
        response.add("Vary", "Accept-Encoding");
        response.add("Connection", "keep-alive");
    }

    @Benchmark
    public HttpHeaders copyValidating() {
        return new DefaultHttpHeaders().add(request);
    }

    @Benchmark
    public HttpHeaders copyTrusted() {
        return TRUSTED.newHeaders().add(request);
    }

    @Benchmark
    public HttpHeaders requestInPlace() {
        HttpHeaders h = new DefaultHttpHeaders().add(request);
        List<String> connection = h.getAll(HttpHeaderNames.CONNECTION);
        for (int i = 0; i < connection.size(); i++) {
            String value = connection.get(i);
            int start = 0;
            while (start < value.length()) {
                int comma = value.indexOf(',', start);
                int end = comma < 0 ? value.length() : comma;
                String token = value.substring(start, end).trim();
                if (!token.isEmpty()) {
                    h.remove(token);
                }
                start = end + 1;
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            h.remove(name);
        }
        addForwarding(h, h.get(X_FORWARDED_FOR));
        return h;
    }

    @Benchmark
    public HttpHeaders requestFilteredCopy() {
        HttpHeaders h = TRUSTED.newHeaders();
        String connection = request.get(HttpHeaderNames.CONNECTION);
        String priorForwardedFor = null;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = request.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (isHopByHop(name) || connection != null && namedIn(connection, name)) {
                continue;
            }
            if (AsciiString.contentEqualsIgnoreCase(name, X_FORWARDED_FOR)) {
                priorForwardedFor = e.getValue().toString();
                continue;
            }
            h.add(name, e.getValue());
        }
        addForwarding(h, priorForwardedFor);
        return h;
    }

    @Benchmark
    public HttpHeaders responseInPlace() {
        HttpHeaders h = new DefaultHttpHeaders().add(response);
        boolean keepAlive = !h.containsValue(HttpHeaderNames.CONNECTION, "close", true);
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean chunked = HttpUtil.isTransferEncodingChunked(new io.netty.handler.codec.http.DefaultHttpResponse(
                io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpResponseStatus.OK,
                h));
        for (AsciiString name : HOP_BY_HOP) {
            h.remove(name);
        }
        if (!h.contains(X_REQUEST_ID)) {
            h.set(X_REQUEST_ID, "5d1c0f3e9a7b42c6");
        }
        if (!keepAlive || !hasLength || chunked) {
            h.set(HttpHeaderNames.CONNECTION, "close");
        }
        return h;
    }

    /** X-Forwarded-*, a request id and a new traceparent, built as the proxy builds them (char arrays, one String). */
    private static void addForwarding(HttpHeaders h, String prior) {
        h.set(X_FORWARDED_FOR, prior == null || prior.isBlank() ? "127.0.0.1" : prior + ", 127.0.0.1");
        h.set(X_FORWARDED_PROTO, HTTP);
        h.set(X_FORWARDED_HOST, "api.example.com");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[16];
        writeHex(id, 0, random.nextLong());
        h.set(X_REQUEST_ID, new String(id));
        char[] trace = "00-00000000000000000000000000000000-0000000000000000-01".toCharArray();
        writeHex(trace, 3, random.nextLong() | 1L);
        writeHex(trace, 19, random.nextLong());
        writeHex(trace, 36, random.nextLong() | 1L);
        h.set(TRACEPARENT, new String(trace));
    }

    private static void writeHex(char[] out, int offset, long v) {
        for (int i = 15; i >= 0; i--) {
            out[offset + i] = HEX[(int) (v & 0xF)];
            v >>>= 4;
        }
    }

    private static boolean isHopByHop(CharSequence name) {
        int n = name.length();
        for (AsciiString h : HOP_BY_HOP) {
            if (h.length() == n && h.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code name} is one of the comma-separated tokens of a Connection header value. */
    private static boolean namedIn(String connection, CharSequence name) {
        int start = 0;
        int len = connection.length();
        while (start < len) {
            int comma = connection.indexOf(',', start);
            int end = comma < 0 ? len : comma;
            int s = start;
            int e = end;
            while (s < e && connection.charAt(s) == ' ') {
                s++;
            }
            while (e > s && connection.charAt(e - 1) == ' ') {
                e--;
            }
            if (e - s == name.length() && connection.regionMatches(true, s, name.toString(), 0, e - s)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }
}
