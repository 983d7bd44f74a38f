package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The accept check of RFC 8441 tunnels: RFC 6455 §1.3's own example, and what must not pass. */
class WebSocketAcceptTest {
    @Test
    void theRfcExample_matches_andAnythingElseDoesNot() {
        assertThat(WebSocketTunnel.acceptMatches("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")).isTrue();
        assertThat(WebSocketTunnel.acceptMatches("dGhlIHNhbXBsZSBub25jZQ==", " s3pPLMBiTxaQ9kYGzzhZRbK+xOo= "))
                .as("surrounding whitespace of a field value").isTrue();
        assertThat(WebSocketTunnel.acceptMatches("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOp="))
                .isFalse();
        assertThat(WebSocketTunnel.acceptMatches("dGhlIHNhbXBsZSBub25jZQ==", null)).isFalse();
        assertThat(WebSocketTunnel.acceptMatches(null, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")).isFalse();
    }
}
