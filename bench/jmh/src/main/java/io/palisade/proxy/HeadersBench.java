package io.palisade.proxy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.server.LeanHttpHeaders;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Header handling between the two hops, on 15 typical request headers and 8 response headers. In the proxy's package,
 * so that it runs the proxy's own {@link Headers} rather than a copy of it:
 * <ul>
 *   <li>{@code copy*}: the cost of a copy alone (validating as decoded headers are, and not);</li>
 *   <li>{@link #requestInPlace}: what the proxy does to each request's headers: a copy into the headers the decoder
 *       builds (standing in for decoding), then {@link Headers#removeHopByHop}, {@link Headers#addForwarded} and
 *       {@link Headers#propagateTrace}, as {@code Exchange} calls them before sending a request upstream;</li>
 *   <li>{@link #responseInPlace}: the response side (keep-alive and framing queries, {@link Headers#removeHopByHop},
 *       the request id when the upstream sent none).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeadersBench {
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
        request.add("X-Request-Id", "5d1c0f3e9a7b42c6");

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
        HttpHeaders h = LeanHttpHeaders.headersFactory().newHeaders().add(request);
        Headers.removeHopByHop(h);
        Headers.addForwarded(h, "127.0.0.1", h.get(HttpHeaderNames.HOST));
        Headers.propagateTrace(h);
        return h;
    }

    /** The header work of {@code Exchange.onResponseHead} on a keep-alive response with a length (nothing to add). */
    @Benchmark
    public boolean responseInPlace() {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                LeanHttpHeaders.headersFactory().newHeaders().add(response));
        HttpHeaders h = r.headers();
        boolean keepAlive = HttpUtil.isKeepAlive(r);
        boolean framed = h.contains(HttpHeaderNames.CONTENT_LENGTH) || HttpUtil.isTransferEncodingChunked(r);
        Headers.removeHopByHop(h);
        if (!h.contains(Headers.X_REQUEST_ID)) {
            h.set(Headers.X_REQUEST_ID, "5d1c0f3e9a7b42c6");
        }
        return keepAlive && framed;
    }
}
