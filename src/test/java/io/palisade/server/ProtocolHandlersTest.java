package io.palisade.server;

import static io.palisade.server.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProtocolHandlersTest {
    private static final ServerLimits LIMITS = new ServerLimits(16_384, 4096, 1 << 20, Duration.ofSeconds(10),
            Duration.ofSeconds(60), 1000);

    @Test
    void decoderConfig_followsTheLimits_withStrictParsingAndValidation() {
        HttpDecoderConfig c = ProtocolHandlers.decoderConfig(LIMITS);
        assertThat(c.getMaxInitialLineLength()).isEqualTo(4096 + ProtocolHandlers.REQUEST_LINE_ALLOWANCE);
        assertThat(c.getMaxHeaderSize()).isEqualTo(16_384);
        assertThat(c.isStrictLineParsing()).isTrue();
        assertThat(c.isAllowDuplicateContentLengths()).isFalse();
        assertThat(c.isChunkedSupported()).isTrue();
        assertThat(c.getHeadersFactory()).isSameAs(RequestHeaders.FACTORY);
    }

    @Test
    void hugeLimits_saturateInsteadOfOverflowing() {
        ServerLimits huge = new ServerLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1);
        HttpDecoderConfig c = ProtocolHandlers.decoderConfig(huge);
        assertThat(c.getMaxInitialLineLength()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.getMaxHeaderSize()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void install_addsTheHandlersInOrderUnderTheirNames_andTheyServeARequest() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ProtocolHandlers.install(ch.pipeline(), LIMITS, ProtocolHandlers.connectionLimiter(LIMITS));
        ch.pipeline().addLast("proxy", new TerminalHandler());
        assertThat(ch.pipeline().names()).startsWith(ProtocolHandlers.CONNECTION_LIMITER, ProtocolHandlers.CODEC,
                ProtocolHandlers.HEADER_READ_TIMEOUT, ProtocolHandlers.REQUEST_VALIDATOR, "proxy");
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(ParsedResponse.parse(Wire.outbound(ch))).extracting(ParsedResponse::status).containsExactly(200);
        ch.finishAndReleaseAll();
    }

    @Test
    void requestId_isEmptyForARequestWithoutAValidOne() {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        assertThat(ProtocolHandlers.requestId(r)).isEmpty();
        assertThat(ProtocolHandlers.requestId(r, "-")).isEqualTo("-");
        r.headers().set("X-Request-Id", "has space");
        assertThat(ProtocolHandlers.requestId(r)).isEmpty();
        assertThat(ProtocolHandlers.requestId(r, "-")).isEqualTo("-");
        r.headers().set("X-Request-Id", "ok-1");
        assertThat(ProtocolHandlers.requestId(r)).contains("ok-1");
        assertThat(ProtocolHandlers.requestId(r, "-")).isEqualTo("ok-1");
    }

    @Test
    void generatedIds_are16HexDigits_andDiffer() {
        String a = RequestIds.generate();
        assertThat(a).matches("[0-9a-f]{16}");
        assertThat(RequestIds.generate()).isNotEqualTo(a);
        assertThat(RequestIds.isValid("x".repeat(128))).isTrue();
        assertThat(RequestIds.isValid("x".repeat(129))).isFalse();
    }
}
