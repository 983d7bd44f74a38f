package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConstantTimeTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sameBytes_areEqual_aDifferenceAnywhereOrInLengthIsNot() {
        assertThat(ConstantTime.equals(b("secret-key"), b("secret-key"))).isTrue();
        assertThat(ConstantTime.equals(b("secret-key"), b("Secret-key"))).isFalse();
        assertThat(ConstantTime.equals(b("secret-key"), b("secret-kez"))).isFalse();
        assertThat(ConstantTime.equals(b("secret-key"), b("secret-key!"))).isFalse();
        assertThat(ConstantTime.equals(new byte[0], new byte[0])).isTrue();
    }

    @Test
    void aPrefixComparison_looksAtTheFirstBytesOnly() {
        assertThat(ConstantTime.equals(b("abcXYZ"), b("abcxyz"), 3)).isTrue();
        assertThat(ConstantTime.equals(b("abcXYZ"), b("abcxyz"), 4)).isFalse();
    }
}
