package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeanHttpHeadersTest {
    private static HttpHeaders filled(HttpHeaders h) {
        return h.add("Connection", "keep-alive, Upgrade").add("connection", "close").add("Host", "a");
    }

    @Test
    void presentNames_answerLikeDefaultHttpHeaders() {
        HttpHeaders lean = filled(LeanHttpHeaders.headersFactory().newHeaders());
        HttpHeaders plain = filled(new DefaultHttpHeaders());
        for (String name : List.of("connection", "Connection", "host")) {
            assertThat(lean.getAll(name)).isEqualTo(plain.getAll(name));
            assertThat(lean.valueStringIterator(name)).toIterable()
                    .containsExactlyElementsOf(() -> plain.valueStringIterator(name));
            assertThat(lean.valueCharSequenceIterator(name)).toIterable().map(CharSequence::toString)
                    .containsExactlyElementsOf(() -> plain.valueStringIterator(name));
        }
        assertThat(lean.containsValue(HttpHeaderNames.CONNECTION, "upgrade", true)).isTrue();
        assertThat(lean.containsValue(HttpHeaderNames.CONNECTION, "close", false)).isTrue();
        assertThat(lean.containsValue(HttpHeaderNames.CONNECTION, "Close", false)).isFalse();
    }

    @Test
    void absentNames_answerWithSharedEmptiesAndNoAllocation() {
        HttpHeaders lean = filled(LeanHttpHeaders.headersFactory().newHeaders());
        assertThat(lean.getAll("transfer-encoding")).isSameAs(Collections.emptyList());
        assertThat(lean.valueStringIterator(HttpHeaderNames.TRANSFER_ENCODING)).isSameAs(Collections.emptyIterator());
        assertThat(lean.valueCharSequenceIterator("x-request-id")).isSameAs(Collections.emptyIterator());
        assertThat(lean.containsValue(HttpHeaderNames.TRANSFER_ENCODING, "chunked", true)).isFalse();
    }

    @Test
    void httpUtilChecks_seeTheSameHeaders() {
        DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                LeanHttpHeaders.headersFactory());
        assertThat(HttpUtil.isKeepAlive(res)).isTrue();
        assertThat(HttpUtil.isTransferEncodingChunked(res)).isFalse();
        res.headers().add(HttpHeaderNames.TRANSFER_ENCODING, "gzip, chunked").add(HttpHeaderNames.CONNECTION, "Close");
        assertThat(HttpUtil.isKeepAlive(res)).isFalse();
        assertThat(HttpUtil.isTransferEncodingChunked(res)).isTrue();
    }

    @Test
    void validatesLikeNetty_trailersRefuseFramingFields() {
        assertThatThrownBy(() -> LeanHttpHeaders.headersFactory().newHeaders().add("bad name", "v"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeanHttpHeaders.headersFactory().newHeaders().add("x", "a\nb"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeanHttpHeaders.trailersFactory().newHeaders().add("content-length", "1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(LeanHttpHeaders.trailersFactory().newHeaders().add("x-checksum", "1").get("x-checksum"))
                .isEqualTo("1");
    }
}
