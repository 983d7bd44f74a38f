package io.palisade.server;

import static io.palisade.server.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomePublisher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RequestValidatorTest {
    private static final ServerLimits LIMITS = new ServerLimits(8192, 1024, 100, Duration.ofMillis(300),
            Duration.ofSeconds(5), 100);
    private static final String GOOD = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

    private TerminalHandler proxy = new TerminalHandler();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(ProtocolHandlers.codec(LIMITS), ProtocolHandlers.requestValidator(LIMITS), proxy);
    }

    private final List<Outcome> outcomes = new ArrayList<>();

    /** A channel whose validator publishes its outcomes into {@link #outcomes}. */
    private EmbeddedChannel publishingChannel() {
        OutcomePublisher publisher = OutcomePublisher.create();
        publisher.subscribe(outcomes::add);
        return new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS, "v9", publisher), proxy);
    }

    private static List<ParsedResponse> responses(EmbeddedChannel ch) {
        ch.runPendingTasks();
        return ParsedResponse.parse(Wire.outbound(ch));
    }

    static Stream<Arguments> badHeads() {
        return Stream.of(
                Arguments.of("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", ErrorKind.MISSING_HOST),
                Arguments.of("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", ErrorKind.INVALID_HOST),
                Arguments.of("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ErrorKind.INVALID_HOST),
                Arguments.of("Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", ErrorKind.INVALID_HOST),
                Arguments.of("Host with a bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", ErrorKind.INVALID_HOST),
                Arguments.of("TE gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\n"
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n",
                        ErrorKind.UNSUPPORTED_TRANSFER_CODING),
                Arguments.of("TE chunked, gzip", "POST / HTTP/1.1\r\nHost: a\r\n"
                        + "Transfer-Encoding: chunked, gzip\r\n\r\n",
                        ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("TE identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
                        ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("TE twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n", ErrorKind.UNSUPPORTED_TRANSFER_CODING),
                Arguments.of("TE foo with CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n"
                        + "Content-Length: 1\r\n\r\nx", ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("TE chunked with CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                        + "Content-Length: 1\r\n\r\n", ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("two Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                        + "Content-Length: 1\r\n\r\nx", ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
                        ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("hixie-76 implied body", "GET / HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key1: 1\r\n"
                        + "Sec-WebSocket-Key2: 2\r\n\r\n12345678", ErrorKind.AMBIGUOUS_FRAMING),
                Arguments.of("Content-Length over max", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n",
                        ErrorKind.BODY_TOO_LARGE),
                Arguments.of("Expect foo", "GET / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n",
                        ErrorKind.EXPECTATION_FAILED),
                Arguments.of("Expect 100-continue twice", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, "
                        + "100-continue\r\nContent-Length: 0\r\n\r\n", ErrorKind.EXPECTATION_FAILED),
                Arguments.of("target over max_uri", "GET /" + "a".repeat(1030) + " HTTP/1.1\r\nHost: a\r\n\r\n",
                        ErrorKind.URI_TOO_LONG),
                Arguments.of("request line over limit", "GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: a\r\n\r\n",
                        ErrorKind.URI_TOO_LONG),
                Arguments.of("control byte in target", "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n",
                        ErrorKind.MALFORMED_REQUEST),
                Arguments.of("non-ASCII in target", "GET /\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n",
                        ErrorKind.MALFORMED_REQUEST),
                Arguments.of("asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", ErrorKind.MALFORMED_REQUEST),
                Arguments.of("relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", ErrorKind.MALFORMED_REQUEST),
                Arguments.of("NUL in a header value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u0000b\r\n\r\n",
                        ErrorKind.MALFORMED_REQUEST),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", ErrorKind.MALFORMED_REQUEST),
                Arguments.of("bare LF", "GET / HTTP/1.1\nHost: a\n\n", ErrorKind.MALFORMED_REQUEST),
                Arguments.of("HTTP/0.9", "GET /\r\n", ErrorKind.MALFORMED_REQUEST),
                Arguments.of("HTTP/2.0 version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", ErrorKind.MALFORMED_REQUEST),
                Arguments.of("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
                        ErrorKind.OBSOLETE_LINE_FOLDING),
                Arguments.of("header block too big", "GET / HTTP/1.1\r\nHost: a\r\nX: " + "a".repeat(9000) + "\r\n\r\n",
                        ErrorKind.HEADERS_TOO_LARGE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeads")
    void badHead_endsInOneOutcome_withItsKind_andTheBytesOfTheErrorBody(String name, String raw, ErrorKind kind) {
        EmbeddedChannel ch = publishingChannel();
        ch.writeInbound(bytes(raw));
        ParsedResponse r = responses(ch).get(0);
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.status()).isEqualTo(kind.status().code());
            assertThat(o.error()).contains(kind);
            assertThat(o.ending()).isEqualTo(Outcome.Ending.ANSWERED);
            assertThat(o.bytesOut()).isEqualTo(r.body().getBytes(StandardCharsets.UTF_8).length).isPositive();
            assertThat(o.requestId()).isEqualTo(r.requestIdInBody());
            assertThat(o.route()).isEqualTo(Outcome.UNMATCHED_ROUTE);
            assertThat(o.configVersion()).isEqualTo("v9");
            assertThat(o.cluster()).isEmpty();
            assertThat(o.attempts()).isZero();
        });
        ch.finishAndReleaseAll();
    }

    @Test
    void refusedHead_outcomeHasItsMethodAndTarget_butAnUndecodableOneHasNeither() {
        EmbeddedChannel ch = publishingChannel();
        ch.writeInbound(bytes("DELETE /orders/1?force=yes HTTP/1.1\r\nX-Request-Id: no-host\r\n\r\n"));
        responses(ch);
        ch.finishAndReleaseAll();
        proxy = new TerminalHandler();
        ch = publishingChannel(); // each of these closes its connection
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\nX: " + "a".repeat(9000) + "\r\n\r\n"));
        responses(ch);
        assertThat(outcomes).hasSize(2);
        assertThat(outcomes.get(0)).satisfies(o -> {
            assertThat(o.requestId()).isEqualTo("no-host");
            assertThat(o.error()).contains(ErrorKind.MISSING_HOST);
            assertThat(o.method()).isEqualTo("DELETE");
            assertThat(o.path()).isEqualTo("/orders/1");
            assertThat(o.query()).isEqualTo("force=yes");
        });
        assertThat(outcomes.get(1)).satisfies(o -> {
            assertThat(o.error()).contains(ErrorKind.HEADERS_TOO_LARGE);
            assertThat(o.method()).isEmpty();
            assertThat(o.path()).isEmpty();
        });
        ch.finishAndReleaseAll();
    }

    @Test
    void refusedHead_toAHeadRequest_countsNoBodyBytes() {
        EmbeddedChannel ch = publishingChannel();
        ch.writeInbound(bytes("HEAD / HTTP/1.1\r\n\r\n"));
        assertThat(responses(ch)).singleElement().satisfies(r -> assertThat(r.body()).isEmpty());
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.error()).contains(ErrorKind.MISSING_HOST);
            assertThat(o.bytesOut()).isZero();
        });
        ch.finishAndReleaseAll();
    }

    @Test
    void requestsPassedToTheProxy_endInNoOutcomeOfTheValidators_evenWhenTheirBodyIsAborted() {
        EmbeddedChannel ch = publishingChannel();
        ch.writeInbound(bytes(GOOD));
        ch.writeInbound(bytes("POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        List<ParsedResponse> rs = responses(ch);
        assertThat(rs).extracting(ParsedResponse::status).containsExactly(200, 400);
        assertThat(outcomes).isEmpty(); // the proxy publishes the outcome of every request it received
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeads")
    void badHead_isAnsweredWithItsKind_andClosesWhenTheKindSaysSo(String name, String raw, ErrorKind kind) {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes(raw));
        List<ParsedResponse> rs = responses(ch);
        assertThat(rs).hasSize(1);
        ParsedResponse r = rs.get(0);
        assertThat(r.status()).isEqualTo(kind.status().code());
        assertThat(r.error()).isEqualTo(kind.code());
        assertThat(r.headers().get("x-request-id")).isEqualTo(r.requestIdInBody()).isNotBlank();
        assertThat(ch.isOpen()).isEqualTo(!kind.closesConnection());
        assertThat(proxy.seen).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void connect_isRefusedWith405AndAllow_andTheConnectionStaysUsable() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" + GOOD));
        List<ParsedResponse> rs = responses(ch);
        assertThat(rs).extracting(ParsedResponse::status).containsExactly(405, 200);
        assertThat(rs.get(0).headers().get("allow")).isEqualTo(RequestValidator.PROXIED_METHODS);
        assertThat(rs.get(0).error()).isEqualTo("method_not_allowed");
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void passThrough404_keepsTheConnection_andTheNextRequestWorks() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"));
        ch.writeInbound(bytes(GOOD));
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(404, 200);
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void zeroLengthPost_andAbsoluteForm_andOptionsAsterisk_passThrough() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST /empty HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"
                + "GET http://a/abs?q=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(responses(ch)).extracting(ParsedResponse::body)
                .containsExactly("ok /empty 0", "ok http://a/abs?q=1 0", "ok * 0");
        ch.finishAndReleaseAll();
    }

    @Test
    void requestId_validClientIdIsKept_invalidOneReplaced_andErrorsCarryIt() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-1.2:3_4\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: a\r\nX-Request-Id: bad id\r\n\r\n"));
        assertThat(proxy.seen.get(0)).isEqualTo("head GET /1 id=abc-1.2:3_4");
        assertThat(proxy.seen.get(2)).matches("head GET /2 id=[0-9a-f]{16}");
        ch.finishAndReleaseAll();

        proxy = new TerminalHandler();
        EmbeddedChannel twice = channel();
        twice.writeInbound(bytes("GET /3 HTTP/1.1\r\nHost: a\r\nX-Request-Id: one\r\nx-request-ID: two\r\n\r\n"));
        assertThat(proxy.seen.get(0)).matches("head GET /3 id=[0-9a-f]{16}");
        twice.finishAndReleaseAll();

        proxy = new TerminalHandler();
        EmbeddedChannel ch2 = channel();
        ch2.writeInbound(bytes("GET / HTTP/1.1\r\nX-Request-Id: client-7\r\n\r\n"));
        ParsedResponse r = responses(ch2).get(0);
        assertThat(r.requestIdInBody()).isEqualTo("client-7");
        assertThat(r.headers().get("x-request-id")).isEqualTo("client-7");
        ch2.finishAndReleaseAll();
    }

    @Test
    void requestIdGenerate_replacesEvenAValidClientId_andErrorsCarryTheGeneratedOne() {
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS), ProtocolHandlers.requestValidator(
                LIMITS, ServerConfig.RequestIdPolicy.GENERATE, "v1",
                OutcomePublisher.create()), proxy);
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-1.2:3_4\r\n\r\n"));
        assertThat(proxy.seen.get(0)).matches("head GET /1 id=[0-9a-f]{16}");
        ch.finishAndReleaseAll();

        proxy = new TerminalHandler();
        EmbeddedChannel refused = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS, ServerConfig.RequestIdPolicy.GENERATE, "v1",
                OutcomePublisher.create()), proxy);
        refused.writeInbound(bytes("GET / HTTP/1.1\r\nX-Request-Id: client-7\r\n\r\n"));
        ParsedResponse r = responses(refused).get(0);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.requestIdInBody()).matches("[0-9a-f]{16}");
        assertThat(r.headers().get("x-request-id")).isEqualTo(r.requestIdInBody());
        refused.finishAndReleaseAll();
    }

    @Test
    void fieldsSent_isCountedWhileDecoding_andByIteratingForOtherHeaders() {
        HttpHeaders plain = new DefaultHttpHeaders().add("host", "a").add("Host", "b").add("x-a", "1");
        assertThat(RequestHeaders.fieldsSent(plain, HttpHeaderNames.HOST)).isEqualTo(2);
        assertThat(RequestHeaders.fieldsSent(plain, AsciiString.cached("x-a"))).isEqualTo(1);
        assertThat(RequestHeaders.fieldsSent(plain, RequestIds.HEADER)).isZero();
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS));
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHOST: a\r\nx-request-id: 1\r\nHost: a\r\nHost: a\r\n\r\n"));
        HttpRequest decoded = ch.readInbound();
        assertThat(RequestHeaders.fieldsSent(decoded.headers(), HttpHeaderNames.HOST)).isEqualTo(2);
        assertThat(RequestHeaders.fieldsSent(decoded.headers(), RequestIds.HEADER)).isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void http10WithoutHost_isAccepted_andClosedAfterTheResponse() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /old HTTP/1.0\r\n\r\n"));
        ParsedResponse r = responses(ch).get(0);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().get("connection")).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void http10KeepAlive_staysOpen_andSaysSo() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        ch.writeInbound(bytes(GOOD));
        List<ParsedResponse> rs = responses(ch);
        assertThat(rs).extracting(ParsedResponse::status).containsExactly(200, 200);
        assertThat(rs.get(0).headers().get("connection")).isEqualTo("keep-alive");
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void responseWithoutLength_isDelimitedByClosing_andChunkingIsDroppedForHttp10() {
        for (String version : new String[] {"HTTP/1.1", "HTTP/1.0"}) {
            proxy = null;
            EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                    ProtocolHandlers.requestValidator(LIMITS), new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof LastHttpContent) {
                                DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK);
                                HttpUtil.setTransferEncodingChunked(res, version.equals("HTTP/1.0"));
                                ctx.write(res);
                                ctx.writeAndFlush(new DefaultLastHttpContent(bytes("streamed")));
                            }
                            ReferenceCountUtil.release(msg);
                        }
                    });
            ch.writeInbound(bytes("GET / " + version + "\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"));
            String out = Wire.outbound(ch);
            assertThat(out).as(version).contains("connection: close").doesNotContain("transfer-encoding")
                    .endsWith("\r\n\r\nstreamed");
            assertThat(ch.isOpen()).as(version).isFalse();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void http10ExpectContinue_isIgnored() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"));
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(200);
        ch.finishAndReleaseAll();
    }

    @Test
    void invalidChunk_afterTheHeadWentOn_firesRequestAborted_andTheValidatorAnswersOnce() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"));
        List<ParsedResponse> rs = responses(ch);
        assertThat(rs).hasSize(1);
        assertThat(rs.get(0).status()).isEqualTo(400);
        assertThat(rs.get(0).error()).isEqualTo("invalid_chunk");
        assertThat(proxy.seen).hasSize(1).first().asString().startsWith("head POST /up");
        assertThat(proxy.events).singleElement().isInstanceOfSatisfying(RequestAborted.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_CHUNK);
            assertThat(e.requestId()).isEqualTo(rs.get(0).requestIdInBody());
        });
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void chunkedBodyOverMax_isCutOffWith413_andTheProxyNeverSeesMoreThanMax() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3c\r\n" + "a".repeat(60) + "\r\n3c\r\n" + "b".repeat(60) + "\r\n0\r\n\r\n"));
        ParsedResponse r = responses(ch).get(0);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).isEqualTo("body_too_large");
        assertThat(proxy.events).singleElement()
                .isEqualTo(new RequestAborted(ErrorKind.BODY_TOO_LARGE, r.requestIdInBody()));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void bodyFailureAfterTheProxyStartedItsResponse_noSecondResponse_closeWhenTheProxyFinishes() {
        proxy = null;
        List<Object> events = new java.util.ArrayList<>();
        ChannelHandlerContext[] proxyCtx = new ChannelHandlerContext[1];
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        proxyCtx[0] = ctx;
                        if (msg instanceof HttpRequest) {
                            ctx.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
                        }
                        ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        events.add(evt);
                    }
                });
        ch.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        assertThat(events).singleElement().isInstanceOf(RequestAborted.class);
        assertThat(ch.isOpen()).isTrue();
        proxyCtx[0].writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        ch.runPendingTasks();
        String out = Wire.outbound(ch);
        assertThat(out).startsWith("HTTP/1.1 200 OK").doesNotContain("invalid_chunk");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void secondResponseForOneRequest_isRefusedAndReleased_andTheFirstStands() {
        proxy = null;
        ChannelFuture[] second = new ChannelFuture[1];
        DefaultFullHttpResponse late = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                bytes("late"));
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof LastHttpContent) {
                            DefaultFullHttpResponse first = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    HttpResponseStatus.NO_CONTENT);
                            ctx.writeAndFlush(first);
                            second[0] = ctx.writeAndFlush(late);
                        }
                        ReferenceCountUtil.release(msg);
                    }
                });
        ch.writeInbound(bytes(GOOD));
        assertThat(second[0].cause()).isInstanceOf(GatewayException.class);
        assertThat(late.refCnt()).isZero();
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(204);
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void secondResponseOnAVoidPromise_isRefusedAndReleased_throughExceptionCaught() {
        proxy = null;
        List<Throwable> errors = new java.util.ArrayList<>();
        DefaultFullHttpResponse late = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                bytes("late"));
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof LastHttpContent) {
                            ctx.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    HttpResponseStatus.NO_CONTENT), ctx.voidPromise());
                            ctx.writeAndFlush(late, ctx.voidPromise());
                        }
                        ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        errors.add(cause);
                    }
                });
        ch.writeInbound(bytes(GOOD));
        assertThat(errors).singleElement().isInstanceOf(GatewayException.class);
        assertThat(late.refCnt()).isZero();
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(204);
        ch.finishAndReleaseAll();
    }

    @Test
    void bodyFailureAfterTheProxyAnswered_closesOnlyOnceTheAnswerHasGone() {
        proxy = null;
        StallingChannel ch = new StallingChannel();
        ch.pipeline().addLast(ProtocolHandlers.codec(LIMITS), ProtocolHandlers.requestValidator(LIMITS),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof HttpRequest) {
                            DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    HttpResponseStatus.UNAUTHORIZED);
                            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                            ctx.writeAndFlush(res, ctx.voidPromise());
                        }
                        ReferenceCountUtil.release(msg);
                    }
                });
        ch.stall();
        ch.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"));
        ch.writeInbound(bytes("zz\r\n"));
        ch.runPendingTasks();
        assertThat(ch.isOpen()).as("the 401 has not gone out yet").isTrue();
        ch.resume();
        ch.runPendingTasks();
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(401);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void clientClosingMidBody_tellsTheProxyTruncatedBody() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabcde"));
        ch.close();
        assertThat(proxy.events).singleElement().isInstanceOfSatisfying(RequestAborted.class,
                e -> assertThat(e.kind()).isEqualTo(ErrorKind.TRUNCATED_BODY));
        ch.finishAndReleaseAll();
    }

    @Test
    void clientClosingAfterACompleteRequest_isNotTruncation() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab"));
        ch.close();
        assertThat(proxy.events).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void pipelinedRequests_reachTheProxyOneAtATime_andAnswersStayInOrder() {
        proxy = new TerminalHandler(true);
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\n\r\n" + GOOD));
        // The second request waits until the first is answered, though all bytes were read at once.
        assertThat(proxy.seen).hasSize(2).allMatch(s -> s.contains("/1"));
        assertThat(ch.config().isAutoRead()).as("reads paused while requests are held").isFalse();
        proxy.answerPending();
        ch.runPendingTasks();
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(200, 400);
        assertThat(proxy.seen).noneMatch(s -> s.contains("/next"));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void pipelinedGoodRequests_allAnswered() {
        proxy = new TerminalHandler(true);
        EmbeddedChannel ch = channel();
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n" + GOOD));
        for (int i = 0; i < 3; i++) {
            proxy.answerPending();
            ch.runPendingTasks();
        }
        assertThat(responses(ch)).extracting(ParsedResponse::body).containsExactly("ok /1 0", "ok /2 0", "ok /next 0");
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.config().isAutoRead()).as("reads resumed").isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void earlyResponse_restOfTheBodyIsDropped_andTheConnectionIsReused() {
        proxy = null;
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof HttpRequest r) {
                            DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    HttpResponseStatus.UNAUTHORIZED);
                            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                            if (r.uri().equals("/next")) {
                                res.setStatus(HttpResponseStatus.OK);
                            }
                            ctx.writeAndFlush(res);
                        }
                        ReferenceCountUtil.release(msg);
                    }
                });
        ch.writeInbound(bytes("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc"));
        ch.writeInbound(bytes("def" + GOOD));
        assertThat(responses(ch)).extracting(ParsedResponse::status).containsExactly(401, 200);
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }

    /** An overload state the test sets; the real one reads the heap (OverloadManager). */
    private static final class SetOverload implements io.palisade.overload.OverloadState {
        volatile boolean stopKeepAlive;
        volatile boolean shed;

        @Override
        public boolean stopKeepAlive() {
            return stopKeepAlive;
        }

        @Override
        public boolean shedRequest() {
            return shed;
        }
    }

    @Test
    void underOverload_responsesCloseTheConnection_andThenRequestsAreShedWith503Overloaded() {
        SetOverload overload = new SetOverload();
        EmbeddedChannel ch = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS), ProtocolHandlers.requestValidator(
                LIMITS, ServerConfig.RequestIdPolicy.KEEP, "v1", OutcomePublisher.create(), overload), proxy);
        ch.writeInbound(bytes(GOOD));
        ParsedResponse normal = responses(ch).get(0);
        assertThat(normal.status()).isEqualTo(200);
        assertThat(normal.headers()).doesNotContainKey("connection");
        assertThat(ch.isOpen()).isTrue();

        overload.stopKeepAlive = true;
        ch.writeInbound(bytes(GOOD));
        ParsedResponse closing = responses(ch).get(0);
        assertThat(closing.status()).isEqualTo(200);
        assertThat(closing.headers()).containsEntry("connection", "close");
        ch.finishAndReleaseAll();

        overload.shed = true;
        proxy = new TerminalHandler();
        EmbeddedChannel shedding = new EmbeddedChannel(ProtocolHandlers.codec(LIMITS),
                ProtocolHandlers.requestValidator(LIMITS, ServerConfig.RequestIdPolicy.KEEP, "v1",
                        OutcomePublisher.create(), overload), proxy);
        shedding.writeInbound(bytes(GOOD));
        ParsedResponse shed = responses(shedding).get(0);
        assertThat(shed.status()).isEqualTo(503);
        assertThat(shed.body()).contains("\"error\":\"overloaded\"");
        assertThat(shed.headers()).containsKey("retry-after").containsEntry("connection", "close");
        assertThat(proxy.seen).as("the proxy never sees a shed request").isEmpty();
        shedding.finishAndReleaseAll();
    }
}
