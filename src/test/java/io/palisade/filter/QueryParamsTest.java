package io.palisade.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The one way the gateway reads query parameters: API keys, hash keys and the parameter stripped upstream. */
class QueryParamsTest {
    @Test
    void values_arePercentDecodedAsUtf8_withPlusAsASpace() {
        assertThat(QueryParams.values("q=a%20b+c%2Bd%C3%A9", "q")).containsExactly("a b c+dé");
    }

    @Test
    void names_areComparedAfterDecoding() {
        assertThat(QueryParams.values("api%5Fkey=k&api+key=s", "api_key")).containsExactly("k");
        assertThat(QueryParams.values("api+key=s", "api key")).containsExactly("s");
        assertThat(QueryParams.values("api_keys=1&xapi_key=2", "api_key")).isEmpty();
    }

    @Test
    void repeatedNames_giveEveryValueInOrder_andFirstTheFirst() {
        assertThat(QueryParams.values("k=1&x=0&k=2&k", "k")).containsExactly("1", "2", "");
        assertThat(QueryParams.first("k=1&x=0&k=2", "k")).contains("1");
    }

    @Test
    void onlyTheAmpersandSeparates_andAParameterWithoutEqualsIsEmpty() {
        assertThat(QueryParams.values("k=1;x=2", "k")).containsExactly("1;x=2");
        assertThat(QueryParams.values("&&k&", "k")).containsExactly("");
        assertThat(QueryParams.values("k=a=b", "k")).containsExactly("a=b");
        assertThat(QueryParams.values("", "k")).isEmpty();
        assertThat(QueryParams.first("", "k")).isEmpty();
    }

    @Test
    void malformedEscapeInAValue_isRefusedByValues_andNoValueForFirst() {
        assertThatThrownBy(() -> QueryParams.values("k=%zz", "k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QueryParams.values("k=ok&k=50%", "k")).isInstanceOf(IllegalArgumentException.class);
        assertThat(QueryParams.first("k=%zz&k=ok", "k")).isEmpty();
        assertThat(QueryParams.values("other=%zz&k=ok", "k")).containsExactly("ok");
    }

    @Test
    void malformedEscapeInAName_isANameNobodyAsksFor() {
        assertThat(QueryParams.values("k%zz=1&k=2", "k")).containsExactly("2");
        assertThat(QueryParams.strip("/a?k%zz=1&k=2", "k")).isEqualTo("/a?k%zz=1");
    }

    @Test
    void strip_removesEverySpellingOfTheName_andKeepsTheRestAndTheFragmentAsSent() {
        assertThat(QueryParams.strip("/a?k=1&x=%2B&k%3D=2&%6B=3#frag", "k")).isEqualTo("/a?x=%2B&k%3D=2#frag");
        assertThat(QueryParams.strip("/a?k=1", "k")).isEqualTo("/a");
        assertThat(QueryParams.strip("/a?x=1", "k")).isEqualTo("/a?x=1");
        assertThat(QueryParams.strip("/a", "k")).isEqualTo("/a");
    }
}
