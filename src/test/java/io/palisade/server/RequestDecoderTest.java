package io.palisade.server;

import static io.palisade.server.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestDecoderTest {
    /** What reached the handler after the codec, flattened to comparable strings. */
    private final List<String> seen = new ArrayList<>();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(ProtocolHandlers.codec(Wire.LIMITS), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                try {
                    seen.add(describe(msg));
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                seen.add("event " + evt);
            }
        });
    }

    private static String describe(Object msg) {
        StringBuilder sb = new StringBuilder();
        if (msg instanceof HttpRequest r) {
            sb.append("request ").append(r.method()).append(' ').append(r.uri());
            if (r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                sb.append(" cl=").append(r.headers().getAll(HttpHeaderNames.CONTENT_LENGTH));
            }
            append(sb, r.decoderResult());
        } else if (msg instanceof HttpContent c) {
            sb.append(msg instanceof LastHttpContent ? "last " : "content ")
                    .append(c.content().toString(StandardCharsets.ISO_8859_1).replace("\r\n", "|"));
            append(sb, c.decoderResult());
        } else {
            sb.append(msg);
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, DecoderResult result) {
        if (result.isFailure()) {
            Throwable cause = result.cause();
            sb.append(" FAILED ").append(cause instanceof GatewayException g ? g.kind().name()
                    : cause.getClass().getSimpleName());
        }
    }

    @Test
    void obsFold_isReportedAsFailedRequest_whetherTheBytesArriveTogetherOrOneByOne() {
        String folded = "GET /a HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n";
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes(folded));
        assertThat(seen).containsExactly("event INSTANCE",
                "request GET /bad-request FAILED OBSOLETE_LINE_FOLDING");
        ch.finishAndReleaseAll();

        seen.clear();
        EmbeddedChannel ch2 = channel();
        Wire.writeBytewise(ch2, folded + "GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(seen).containsExactly("event INSTANCE",
                "request GET /bad-request FAILED OBSOLETE_LINE_FOLDING");
        ch2.finishAndReleaseAll();
    }

    @Test
    void foldLikeBytesInBodies_areNotMistakenForFolding_onAKeepAliveConnection() {
        String fixed = "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\n\r\n x\r\n";
        String chunked = "POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\n\r\n y\r\n0\r\n\r\n";
        String next = "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
        EmbeddedChannel ch = channel();
        Wire.writeBytewise(ch, fixed + chunked + next);
        assertThat(seen).filteredOn(s -> s.startsWith("request") || s.contains("FAILED"))
                .containsExactly("request POST /1 cl=[6]", "request POST /2", "request GET /3");
        assertThat(seen).filteredOn(s -> s.startsWith("event")).hasSize(3);
        ch.finishAndReleaseAll();
    }

    @Test
    void pipelinedRequestsInOneRead_allDecode_andTheFoldInTheSecondIsCaught() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nX: 1\r\n\t2\r\n\r\n"));
        assertThat(seen).containsExactly("event INSTANCE", "request GET /1", "last ",
                "event INSTANCE", "request GET /bad-request FAILED OBSOLETE_LINE_FOLDING");
        ch.finishAndReleaseAll();
    }

    @Test
    void chunkSizeThatNettyWrapsToZero_failsTheBody_andNoSmuggledRequestIsDecoded() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "100000000\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(seen).containsExactly("event INSTANCE", "request POST /", "last  FAILED INVALID_CHUNK");
        ch.finishAndReleaseAll();
    }

    @Test
    void chunkSizeOverflowAndNonHexSize_failTheBody() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"));
        assertThat(seen).last().isEqualTo("last  FAILED INVALID_CHUNK");
        ch.finishAndReleaseAll();

        seen.clear();
        EmbeddedChannel ch2 = channel();
        ch2.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        assertThat(seen).last().isEqualTo("last  FAILED NumberFormatException");
        ch2.finishAndReleaseAll();
    }

    @Test
    void foldedTrailer_failsTheBody() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nhi\r\n0\r\nX-T: a\r\n b\r\n\r\n"));
        assertThat(seen).last().isEqualTo("last  FAILED OBSOLETE_LINE_FOLDING");
        ch.finishAndReleaseAll();
    }

    @Test
    void chunkedWithContentLength_isAmbiguous_insteadOfNettyDroppingTheLength() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertThat(seen).last().isEqualTo("request POST / cl=[3] FAILED AMBIGUOUS_FRAMING");
        ch.finishAndReleaseAll();
    }

    @Test
    void duplicateContentLength_isAmbiguous_onHttp10Too() {
        for (String version : new String[] {"HTTP/1.1", "HTTP/1.0"}) {
            seen.clear();
            EmbeddedChannel ch = channel();
            ch.writeInbound(bytes("POST / " + version + "\r\nHost: a\r\nContent-Length: 3\r\n"
                    + "Content-Length: 3\r\n\r\nabc"));
            assertThat(seen).as(version).last().asString().endsWith("FAILED AMBIGUOUS_FRAMING");
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void malformedContentLengths_areAmbiguous_andAnAbsurdlyLargeOneIsTooLarge() {
        for (String cl : new String[] {"-1", "+5", "abc", "5, 5", "", "0x10"}) {
            seen.clear();
            EmbeddedChannel ch = channel();
            ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + cl + "\r\n\r\n"));
            assertThat(seen).as(cl).last().asString().endsWith("FAILED AMBIGUOUS_FRAMING");
            ch.finishAndReleaseAll();
        }
        seen.clear();
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"));
        assertThat(seen).last().asString().endsWith("FAILED BODY_TOO_LARGE");
        ch.finishAndReleaseAll();
    }

    @Test
    void contentLengthWithLeadingZeros_isKeptAsSent_andFramesByItsValue() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc"));
        assertThat(seen).containsExactly("event INSTANCE", "request POST / cl=[003]", "last abc");
        ch.finishAndReleaseAll();
    }

    @Test
    void onlyHttp10And11_areAccepted() {
        for (String version : new String[] {"HTTP/1.2", "HTTP/2.0", "http/1.1", "HTTP/1.10"}) {
            seen.clear();
            EmbeddedChannel ch = channel();
            ch.writeInbound(bytes("GET / " + version + "\r\nHost: a\r\n\r\n"));
            assertThat(seen).as(version).last().asString().endsWith("FAILED MALFORMED_REQUEST");
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void longRequestLine_isTooLongLine_butALongRunOfControlBytesIsMalformed() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /" + "a".repeat(9000) + " HTTP/1.1\r\n"));
        assertThat(seen).last().asString().endsWith("FAILED " + TooLongHttpLineException.class.getSimpleName());
        ch.finishAndReleaseAll();

        seen.clear();
        EmbeddedChannel ch2 = channel();
        ch2.writeInbound(bytes("\r\n".repeat(5000)));
        assertThat(seen).last().asString().endsWith("FAILED MALFORMED_REQUEST");
        ch2.finishAndReleaseAll();
    }

    @Test
    void largeHeaderBlock_isTooLongHeader() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\nX: " + "a".repeat(9000) + "\r\n\r\n"));
        assertThat(seen).last().asString().endsWith("FAILED " + TooLongHttpHeaderException.class.getSimpleName());
        ch.finishAndReleaseAll();
    }

    @Test
    void afterAFailure_everythingElseIsDiscarded() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"));
        ch.writeInbound(bytes("GET /next HTTP/1.1\r\nHost: a\r\n\r\n"));
        ch.finish();
        assertThat(seen).containsExactly("event INSTANCE", "request GET /bad-request FAILED OBSOLETE_LINE_FOLDING");
        ch.finishAndReleaseAll();
    }

    @Test
    void leadingEmptyLines_doNotStartARequest() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("\r\n\r\n"));
        assertThat(seen).isEmpty();
        ch.writeInbound(bytes("G"));
        assertThat(seen).containsExactly("event INSTANCE");
        ch.finishAndReleaseAll();
    }

    @Test
    void responseToHead_hasNoBody_evenAfterA100Continue() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("HEAD / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"));
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        DefaultFullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                bytes("hello"));
        ok.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 5);
        ch.writeOutbound(ok);
        String out = Wire.outbound(ch);
        assertThat(out).startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
                .contains("content-length: 5").doesNotContain("hello");
        ch.finishAndReleaseAll();
    }

    @Test
    void responseToGet_keepsItsBody() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        ch.writeOutbound(new io.netty.handler.codec.http.DefaultLastHttpContent(Unpooled.wrappedBuffer(
                "body".getBytes(StandardCharsets.US_ASCII))));
        assertThat(Wire.outbound(ch)).endsWith("body");
        ch.finishAndReleaseAll();
    }
}
