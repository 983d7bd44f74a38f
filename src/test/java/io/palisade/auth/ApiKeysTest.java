package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
    @Test
    void generatedKey_is32RandomBytesWithPrefixAndItsHash() {
        ApiKeys.GeneratedKey k = ApiKeys.generate();
        assertThat(k.key()).startsWith("pk_").hasSize(3 + 43);
        assertThat(Base64.getUrlDecoder().decode(k.key().substring(3))).hasSize(32);
        assertThat(k.sha256Hex()).matches("[0-9a-f]{64}").isEqualTo(ApiKeys.sha256Hex(k.key()));
        assertThat(k.toString()).doesNotContain(k.key());
        assertThat(ApiKeys.generate().key()).isNotEqualTo(k.key());
    }

    @Test
    void sha256Hex_matchesAKnownVector() {
        assertThat(ApiKeys.sha256Hex("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
