package io.palisade.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;

/**
 * The HTTP/1.1 codec of an upstream connection: Netty's request encoder, and its response decoder without the strings
 * it would build for what nearly every response repeats.
 *
 * <p>Netty's request decoder maps {@code GET}, {@code HTTP/1.1} and the commonest header names to constants; its
 * response decoder builds a String and its bytes for the version, the status code and the reason phrase of every
 * response, and an {@code AsciiString} and its bytes for every header name: about 270 bytes and 10 objects for a
 * response with two headers. This decoder returns shared strings for {@code HTTP/1.1} and {@code HTTP/1.0}, every
 * three-digit status code, the standard reason phrase of a known status, and common response header names spelt as
 * usual or in lower case (the spelling is kept: it is forwarded to the client). Anything else is decoded as Netty does.
 *
 * <p>Used instead of {@code HttpClientCodec(config, false, false)}, which cannot take a decoder subclass, and like it
 * pairs each response with the method of its request, which the encoder queues, so that a response to {@code HEAD}
 * has no body whatever its framing headers say. Unlike it, a {@code 1xx} response does not take a request's entry
 * (as {@code io.palisade.server.ServerCodec} does on the client side), and there is no {@code CONNECT} tunnelling: the
 * request validator refuses {@code CONNECT}, so none reaches an upstream.
 */
final class UpstreamCodec
        extends CombinedChannelDuplexHandler<UpstreamCodec.ResponseDecoder, UpstreamCodec.RequestEncoder> {
    UpstreamCodec(HttpDecoderConfig config) {
        Queue<HttpMethod> methods = new ArrayDeque<>();
        Trailers trailers = new Trailers(config.getTrailersFactory());
        init(new ResponseDecoder(config.clone().setTrailersFactory(trailers), methods, trailers),
                new RequestEncoder(methods));
    }

    /**
     * The decoder ends every fixed-length body with a {@code LastHttpContent} whose trailers it takes from this
     * factory, and never adds to them: those get the shared empty headers, as Netty's own
     * {@code LastHttpContent.EMPTY_LAST_CONTENT} has, instead of a map each. Only a chunked body can carry trailers.
     */
    private static final class Trailers implements HttpHeadersFactory {
        private final HttpHeadersFactory chunked;
        /** Whether the response being decoded is chunked; set from its head. */
        boolean chunkedBody;

        Trailers(HttpHeadersFactory chunked) {
            this.chunked = chunked;
        }

        @Override
        public HttpHeaders newHeaders() {
            return chunkedBody ? chunked.newHeaders() : EmptyHttpHeaders.INSTANCE;
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return chunkedBody ? chunked.newEmptyHeaders() : EmptyHttpHeaders.INSTANCE;
        }
    }

    static final class RequestEncoder extends HttpRequestEncoder {
        private final Queue<HttpMethod> methods;

        RequestEncoder(Queue<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                methods.add(request.method());
            }
            super.encode(ctx, msg, out);
        }
    }

    static final class ResponseDecoder extends HttpResponseDecoder {
        /** The decimal text of every status code 100..999, index {@code code - 100}. */
        private static final String[] CODES = new String[900];
        /** Known header names by length, each in its usual spelling and in lower case. */
        private static final AsciiString[][] NAMES_BY_LENGTH;

        static {
            for (int i = 0; i < CODES.length; i++) {
                CODES[i] = Integer.toString(i + 100);
            }
            String[] usual = {
                "Content-Type", "Content-Length", "Date", "Server", "Connection", "Keep-Alive", "Transfer-Encoding",
                "Cache-Control", "ETag", "Last-Modified", "Expires", "Vary", "Location", "Set-Cookie",
                "Content-Encoding", "Accept-Ranges", "Age", "Pragma", "X-Request-Id", "Retry-After",
                "Access-Control-Allow-Origin", "Strict-Transport-Security", "X-Content-Type-Options",
            };
            List<List<AsciiString>> byLength = new java.util.ArrayList<>();
            for (String name : usual) {
                while (byLength.size() <= name.length()) {
                    byLength.add(new java.util.ArrayList<>(2));
                }
                byLength.get(name.length()).add(AsciiString.cached(name));
                byLength.get(name.length()).add(AsciiString.cached(name.toLowerCase(java.util.Locale.ROOT)));
            }
            NAMES_BY_LENGTH = new AsciiString[byLength.size()][];
            for (int i = 0; i < NAMES_BY_LENGTH.length; i++) {
                NAMES_BY_LENGTH[i] = byLength.get(i).toArray(new AsciiString[0]);
            }
        }

        /** Shared and stackless: an upstream that keeps sending garbage costs no stack trace per request. */
        private static final DecoderResult CLOSED_IN_STATUS_LINE = DecoderResult.failure(
                new PrematureChannelClosureException("Connection closed in the status line") {
                    @Override
                    public synchronized Throwable fillInStackTrace() {
                        return this;
                    }
                });

        private final Queue<HttpMethod> methods;
        private final Trailers trailers;
        /** The status code of the line being split, to recognise its standard reason phrase. */
        private int lineCode;
        /** A response head went out and its last content has not: the bytes that follow are its body. */
        private boolean inResponse;

        ResponseDecoder(HttpDecoderConfig config, Queue<HttpMethod> methods, Trailers trailers) {
            super(config);
            this.methods = methods;
            this.trailers = trailers;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            int first = out.size();
            super.decode(ctx, in, out);
            for (int i = first; i < out.size(); i++) {
                Object msg = out.get(i);
                if (msg instanceof LastHttpContent) {
                    inResponse = false;
                } else if (msg instanceof HttpResponse) {
                    inResponse = true;
                }
            }
        }

        /**
         * Netty decides a close in the middle of the headers is an invalid response, but says nothing of a close in
         * the middle of the status line: bytes that never became a line (garbage without a line end, a torn status
         * line) would look like a connection closed before anything was sent, a reset. They are an invalid response
         * too, and get the same failed head, so the client's 502 says {@code upstream_error}, whatever the garbage.
         */
        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            int first = out.size();
            super.decodeLast(ctx, in, out);
            if (!inResponse && out.size() == first && in.isReadable()) {
                in.skipBytes(in.readableBytes());
                HttpResponse invalid = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY);
                invalid.setDecoderResult(CLOSED_IN_STATUS_LINE);
                out.add(invalid);
            }
        }

        /** Asked of every response head, before its body is read. */
        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            trailers.chunkedBody = HttpUtil.isTransferEncodingChunked(msg);
            if (((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            return HttpMethod.HEAD.equals(methods.poll()) || super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected String splitFirstWordInitialLine(byte[] sb, int start, int length) {
            if (length == 8 && sb[start] == 'H' && sb[start + 1] == 'T' && sb[start + 2] == 'T'
                    && sb[start + 3] == 'P' && sb[start + 4] == '/' && sb[start + 5] == '1' && sb[start + 6] == '.') {
                // The literals are the strings HttpVersion compares by identity before parsing.
                if (sb[start + 7] == '1') {
                    return "HTTP/1.1";
                }
                if (sb[start + 7] == '0') {
                    return "HTTP/1.0";
                }
            }
            return super.splitFirstWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] sb, int start, int length) {
            lineCode = 0;
            if (length == 3 && isDigit(sb[start]) && sb[start] != '0' && isDigit(sb[start + 1])
                    && isDigit(sb[start + 2])) {
                lineCode = (sb[start] - '0') * 100 + (sb[start + 1] - '0') * 10 + (sb[start + 2] - '0');
                return CODES[lineCode - 100];
            }
            return super.splitSecondWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] sb, int start, int length) {
            if (lineCode != 0) {
                String standard = HttpResponseStatus.valueOf(lineCode).reasonPhrase();
                if (equalsAscii(standard, sb, start, length)) {
                    return standard;
                }
            }
            return super.splitThirdWordInitialLine(sb, start, length);
        }

        @Override
        protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
            if (length < NAMES_BY_LENGTH.length) {
                for (AsciiString known : NAMES_BY_LENGTH[length]) {
                    if (equalsAscii(known, sb, start, length)) {
                        return known;
                    }
                }
            }
            return super.splitHeaderName(sb, start, length);
        }

        private static boolean isDigit(byte b) {
            return b >= '0' && b <= '9';
        }

        private static boolean equalsAscii(CharSequence s, byte[] sb, int start, int length) {
            if (s.length() != length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (s.charAt(i) != sb[start + i]) {
                    return false;
                }
            }
            return true;
        }
    }
}
