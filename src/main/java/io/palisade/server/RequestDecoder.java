package io.palisade.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import java.util.List;
import java.util.Queue;

/**
 * Netty's {@link HttpRequestDecoder} with the gaps that matter for a gateway closed. Everything it rejects arrives
 * downstream as a message whose {@code DecoderResult} failed; the {@link RequestValidator} turns that into a response.
 *
 * <h2>What Netty 4.2.18's decoder does with bad input</h2>
 * Read from {@code HttpObjectDecoder}/{@code HttpRequestDecoder} 4.2.18.Final and checked by {@code RequestDecoderTest},
 * with the settings of {@link ProtocolHandlers#decoderConfig}: strict line parsing, header validation, duplicate
 * {@code Content-Length} disallowed. After any failure the decoder enters {@code BAD_MESSAGE} and discards all further
 * bytes until the connection closes.
 * <ul>
 *   <li>CR, LF, other control bytes and spaces before a request line are skipped (RFC 9112 §2.2); more of them than
 *       {@code maxInitialLineLength} fail with {@code TooLongHttpLineException}. This class reports that case as
 *       malformed, not as a long URI.</li>
 *   <li>A request line longer than {@code maxInitialLineLength}: a placeholder {@code FullHttpRequest}
 *       ({@code GET /bad-request HTTP/1.0}) failed with {@code TooLongHttpLineException}.</li>
 *   <li>Header lines (their bytes without CRLF, summed) over {@code maxHeaderSize}: the partly built request failed
 *       with {@code TooLongHttpHeaderException}. The request line does not count towards it.</li>
 *   <li>A request line that is not three parts: HTTP/0.9's {@code GET /}, garbage, a missing version: the placeholder
 *       failed with {@code IllegalArgumentException} ("text is empty (possibly HTTP/0.9)", "invalid version format");
 *       likewise trailing whitespace or control bytes on the line. The method must be a token.</li>
 *   <li>The version: any {@code HTTP/d.d}, in any case, is accepted ({@code http/1.1}, {@code HTTP/1.2},
 *       {@code HTTP/9.9}). Here only {@code HTTP/1.0} and {@code HTTP/1.1}, exactly, are; anything else fails as
 *       malformed (a 505 would be a 5xx for bad input).</li>
 *   <li>The request target is not checked beyond splitting on whitespace: control bytes and non-ASCII pass. The
 *       validator checks it.</li>
 *   <li>A line ended by a bare LF: failed with {@code InvalidLineSeparatorException}.</li>
 *   <li>A header line without a colon, a space before the colon, a name that is not a token, a value with NUL or
 *       another control byte: the partly built request failed with {@code IllegalArgumentException}.</li>
 *   <li><b>Obsolete line folding</b> (a header line starting with SP or HT) is accepted silently: the line is appended
 *       to the previous value with one space, so nobody after the decoder can see it. A whitespace-led line straight
 *       after the request line fails the name check instead. Caught here by {@link FramingScanner}.</li>
 *   <li>{@code Content-Length}: on HTTP/1.1 several fields (even equal) or a list ({@code 5, 5}) fail with a generic
 *       {@code IllegalArgumentException}, as do non-digits and signs ({@code -1}, {@code +5}, {@code abc}); on
 *       HTTP/1.0 several fields are <b>silently</b> reduced to the first one. Caught by {@link RequestHeaders}, which
 *       fails all of them alike.</li>
 *   <li>{@code Transfer-Encoding}: on HTTP/1.0 it fails ({@code TransferEncodingNotAllowedException}); on a request
 *       whose last coding is not {@code chunked} ({@code gzip}, {@code chunked, gzip}), or with {@code chunked} more
 *       than once, it fails with a generic {@code IllegalArgumentException} (RFC 9112 §6.3). {@code gzip, chunked} is
 *       decoded as chunked. With {@code chunked} and {@code Content-Length} on HTTP/1.1 Netty would <b>silently
 *       remove</b> the length; overridden here to fail as ambiguous. Because the failed head keeps its headers, the
 *       validator gives all of these the answer its own checks give: ambiguous framing, or 501 for a coding the
 *       gateway does not implement. A {@code Content-Length} with leading zeros is kept as sent.</li>
 *   <li>Without {@code Content-Length} or {@code Transfer-Encoding} a request has no body, except a {@code GET} with
 *       both {@code Sec-WebSocket-Key1} and {@code -Key2} (hixie-76), which is given an 8-byte body no other parser
 *       would expect. The validator rejects that as ambiguous framing.</li>
 *   <li>Chunk size with a non-hex character ({@code zz}), empty, or whose line ends with a bare LF: a failed
 *       {@code LastHttpContent} after the request head already went downstream. An overflow is caught only when the
 *       {@code int} turns negative, so {@code ffffffffffffffffff} fails, but <b>{@code 100000000} wraps to 0</b> and
 *       ends the body: the following bytes are read as trailers and then as a new request (request smuggling).
 *       {@link FramingScanner} fails any size over {@link Integer#MAX_VALUE} before Netty reads it.</li>
 *   <li>Chunk data not followed by CRLF, a chunk size line over {@code maxInitialLineLength}, a trailer named
 *       {@code Content-Length}/{@code Transfer-Encoding}/{@code Trailer}: a failed {@code LastHttpContent}. Folded
 *       trailer lines are appended silently (caught by the scanner).</li>
 *   <li>The connection closing mid-head: a failed request ({@code PrematureChannelClosureException}); mid-body: nothing
 *       at all, no {@code LastHttpContent}; before or inside the request line: nothing.</li>
 * </ul>
 *
 * <p>Besides, this decoder records the method of every request it emits for {@link ServerCodec}'s encoder (a response
 * to {@code HEAD} has no body) and fires {@link RequestHeadStarted} when a request line starts.
 */
final class RequestDecoder extends HttpRequestDecoder {
    private final Queue<HttpMethod> methods;
    private final FramingScanner scanner = new FramingScanner();
    /** Bytes after the reader index that the scanner has already seen. */
    private int scannedAhead;
    /** Between an emitted request head and the end of its message. */
    private boolean inBody;
    /** A failure was emitted; everything else until the connection closes is discarded. */
    private boolean failed;

    RequestDecoder(HttpDecoderConfig config, Queue<HttpMethod> methods) {
        super(config);
        this.methods = methods;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int start = in.readerIndex();
        if (scanner.active() && start + scannedAhead < in.writerIndex()) {
            boolean startedBefore = scanner.headStarted();
            scannedAhead = scanner.scan(in, start + scannedAhead, in.writerIndex()) - start;
            if (!startedBefore && scanner.headStarted() && out.isEmpty()) {
                ctx.fireUserEventTriggered(RequestHeadStarted.INSTANCE);
            }
            ErrorKind violation = scanner.violation();
            if (violation != null) {
                fail(in, out, violation);
                return;
            }
        }
        int first = out.size();
        super.decode(ctx, in, out);
        scannedAhead = Math.max(0, scannedAhead - (in.readerIndex() - start));
        for (int i = first; i < out.size(); i++) {
            emitted(out.get(i));
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        super.decodeLast(ctx, in, out);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw GatewayException.of(ErrorKind.AMBIGUOUS_FRAMING);
    }

    @Override
    protected String splitThirdWordInitialLine(byte[] sb, int start, int length) {
        String version = super.splitThirdWordInitialLine(sb, start, length);
        if (!"HTTP/1.1".equals(version) && !"HTTP/1.0".equals(version)) {
            throw GatewayException.of(ErrorKind.MALFORMED_REQUEST);
        }
        return version;
    }

    private void emitted(Object msg) {
        if (msg instanceof HttpRequest request) {
            methods.add(request.method());
            if (request.headers() instanceof RequestHeaders headers) {
                headers.seal();
            }
            DecoderResult result = request.decoderResult();
            if (result.isFailure()) {
                if (result.cause() instanceof TooLongHttpLineException && !scanner.headStarted()) {
                    request.setDecoderResult(DecoderResult.failure(GatewayException.of(ErrorKind.MALFORMED_REQUEST)));
                }
                failed();
                return;
            }
            inBody = true;
            scannedAhead = 0;
            if (HttpUtil.isTransferEncodingChunked(request)) {
                scanner.expectChunkedBody();
            } else {
                scanner.stop();
            }
        }
        if (msg instanceof LastHttpContent last) {
            if (last.decoderResult().isFailure()) {
                failed();
                return;
            }
            inBody = false;
            scannedAhead = 0;
            scanner.expectHead();
        }
    }

    private void failed() {
        failed = true;
        scanner.stop();
    }

    private void fail(ByteBuf in, List<Object> out, ErrorKind kind) {
        failed();
        in.skipBytes(in.readableBytes());
        if (inBody) {
            LastHttpContent chunk = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            chunk.setDecoderResult(DecoderResult.failure(GatewayException.of(kind)));
            out.add(chunk);
        } else {
            HttpMessage request = createInvalidMessage();
            request.setDecoderResult(DecoderResult.failure(GatewayException.of(kind)));
            methods.add(HttpMethod.GET);
            out.add(request);
        }
    }
}
