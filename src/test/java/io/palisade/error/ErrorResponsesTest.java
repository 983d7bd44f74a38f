package io.palisade.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ErrorResponsesTest {
    @Test
    void retryableKind_carriesRetryAfter_andJsonBody() {
        FullHttpResponse r = ErrorResponses.build(ErrorKind.AUTH_UNAVAILABLE, "abc", ByteBufAllocator.DEFAULT);
        try {
            assertThat(r.status().code()).isEqualTo(503);
            assertThat(r.headers().get("Retry-After")).isEqualTo("1");
            assertThat(r.content().toString(StandardCharsets.UTF_8))
                    .isEqualTo("{\"error\":\"auth_unavailable\",\"message\":\"" + ErrorKind.AUTH_UNAVAILABLE.message()
                            + "\",\"request_id\":\"abc\"}\n");
        } finally {
            r.release();
        }
    }

    @Test
    void requestIdIsEscaped_soNoInjectionIntoJson() {
        String body = new String(ErrorResponses.body(ErrorKind.FORBIDDEN, "a\"b\\c\n"), StandardCharsets.UTF_8);
        assertThat(body).contains("\"request_id\":\"a\\\"b\\\\c\\u000a\"");
    }

    @Test
    void everyKindIsClientOrServerError_andBadInputIsNever5xx() {
        for (ErrorKind k : ErrorKind.values()) {
            assertThat(k.status().code()).isBetween(400, 599);
        }
        assertThat(ErrorKind.MALFORMED_REQUEST.status().code()).isLessThan(500);
        assertThat(ErrorKind.AUTH_UNAVAILABLE.status().code()).isEqualTo(503);
    }

    @Test
    void leakCheckCatchesAnUnreleasedBuffer() {
        // Sanity check of the build's leak gate: an unreleased buffer must be reported.
        io.netty.buffer.ByteBuf leaked = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(8);
        leaked.writeByte(1);
        leaked = null;
        assertThat(io.palisade.testing.LeakGuard.drainForTest()).isNotEmpty();
    }
}
