package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiKeyIndexTest {
    private static AuthSettings.Consumer consumer(String id, String... sha256Hex) {
        return new AuthSettings.Consumer(id, Set.of("g-" + id), List.of(sha256Hex));
    }

    private static ApiKeyIndex index(AuthSettings.Consumer... consumers) {
        Map<String, AuthSettings.Consumer> byId = new LinkedHashMap<>();
        for (AuthSettings.Consumer c : consumers) {
            byId.put(c.id(), c);
        }
        return ApiKeyIndex.build(byId);
    }

    private static String consumerOf(Verdict v) {
        return ((AuthDecision.Allowed) v.decision()).identity().consumerId();
    }

    @Test
    void everyKeyOfAThousandConsumers_findsItsConsumer_andNoOtherKeyIsFound() {
        AuthSettings.Consumer[] consumers = new AuthSettings.Consumer[1000];
        for (int i = 0; i < consumers.length; i++) {
            consumers[i] = consumer("c" + i, ApiKeys.sha256Hex("key-" + i));
        }
        ApiKeyIndex index = index(consumers);
        assertThat(index.size()).isEqualTo(1000);
        for (int i = 0; i < consumers.length; i++) {
            Verdict v = index.lookup("key-" + i);
            if (v == null || !consumerOf(v).equals("c" + i)) {
                throw new AssertionError("key-" + i + " found " + v);
            }
            if (index.lookup("other-" + i) != null) {
                throw new AssertionError("other-" + i + " found");
            }
        }
    }

    @Test
    void aConsumersVerdict_isBuiltOnce_withItsGroupsHeaderJoined() {
        ApiKeys.GeneratedKey k1 = ApiKeys.generate();
        ApiKeys.GeneratedKey k2 = ApiKeys.generate();
        ApiKeyIndex index = index(new AuthSettings.Consumer("acme", Set.of("b", "c", "a"),
                List.of(k1.sha256Hex(), k2.sha256Hex())));
        Verdict v = index.lookup(k1.key());
        assertThat(index.lookup(k2.key())).isSameAs(v);
        assertThat(v.groupsHeader()).isEqualTo("a,b,c");
        assertThat(((AuthDecision.Allowed) v.decision()).identity())
                .isEqualTo(new Identity("acme", Set.of("a", "b", "c"), AuthSettings.API_KEY));
    }

    @Test
    void aStoredHashSharingTheFirstEightBytes_isNoMatch() {
        String key = "pk_prefix-collision";
        byte[] real = HexFormat.of().parseHex(ApiKeys.sha256Hex(key));
        byte[] lookalike = real.clone();
        lookalike[31] ^= 1;
        ApiKeyIndex onlyLookalike = index(consumer("lookalike", HexFormat.of().formatHex(lookalike)));
        assertThat(onlyLookalike.lookup(key)).isNull();

        ApiKeyIndex both = index(consumer("lookalike", HexFormat.of().formatHex(lookalike)),
                consumer("owner", HexFormat.of().formatHex(real)));
        assertThat(consumerOf(both.lookup(key))).isEqualTo("owner");
    }

    @Test
    void theRememberedKey_isComparedWhole() {
        String key = ApiKeys.generate().key();
        ApiKeyIndex index = index(consumer("acme", ApiKeys.sha256Hex(key)));
        assertThat(index.lookup(key)).isNotNull();
        char last = key.charAt(key.length() - 1);
        String lastCharDiffers = key.substring(0, key.length() - 1) + (last == 'A' ? 'B' : 'A');
        String firstCharDiffers = (key.charAt(0) == 'x' ? "y" : "x") + key.substring(1);
        for (String wrong : List.of(lastCharDiffers, firstCharDiffers, key.substring(0, key.length() - 1),
                key + "A", key.toUpperCase(java.util.Locale.ROOT))) {
            assertThat(index.lookup(wrong)).as(wrong).isNull();
            assertThat(index.lookup(key)).as("the right key right after " + wrong).isNotNull();
        }
    }

    @Test
    void theRememberedKey_ofOneIndex_isNotTakenByAnother() {
        String key = ApiKeys.generate().key();
        ApiKeyIndex before = index(consumer("acme", ApiKeys.sha256Hex(key)));
        ApiKeyIndex after = index(consumer("other", ApiKeys.generate().sha256Hex()));
        assertThat(consumerOf(before.lookup(key))).isEqualTo("acme");
        assertThat(after.lookup(key)).as("the same key against an index without it").isNull();

        ApiKeyIndex moved = index(consumer("bob", ApiKeys.sha256Hex(key)));
        assertThat(consumerOf(before.lookup(key))).isEqualTo("acme");
        assertThat(consumerOf(moved.lookup(key))).as("a key given to another consumer").isEqualTo("bob");
    }

    @Test
    void nonAsciiKeys_areHashedAsUtf8() {
        String key = "pk_cl\u00e9-\u20ac-\uD83D\uDD11";
        ApiKeyIndex index = index(consumer("acme", ApiKeys.sha256Hex(key)));
        assertThat(consumerOf(index.lookup(key))).isEqualTo("acme");
        assertThat(consumerOf(index.lookup(key))).isEqualTo("acme");
        assertThat(index.lookup("pk_cle-\u20ac-\uD83D\uDD11")).isNull();
    }

    @Test
    void emptyAndOverlongKeys_areNotLookedUp() {
        String longest = "k".repeat(512);
        ApiKeyIndex index = index(consumer("acme", ApiKeys.sha256Hex(longest)),
                consumer("too-long", ApiKeys.sha256Hex(longest + "k")), consumer("empty", ApiKeys.sha256Hex("")));
        assertThat(consumerOf(index.lookup(longest))).isEqualTo("acme");
        assertThat(index.lookup(longest + "k")).isNull();
        assertThat(index.lookup("")).isNull();
    }

    @Test
    void noConsumers_findNothing() {
        ApiKeyIndex index = ApiKeyIndex.build(Map.of());
        assertThat(index.size()).isZero();
        assertThat(index.lookup("pk_anything")).isNull();
    }
}
