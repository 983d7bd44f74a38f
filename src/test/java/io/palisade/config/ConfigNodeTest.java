package io.palisade.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigNodeTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Duration DAY = Duration.ofDays(1);

    private final ConfigErrors errors = new ConfigErrors();

    private ConfigNode node(JsonNode value) {
        return new ConfigNode(value, "x", errors);
    }

    @ParameterizedTest
    @CsvSource({
            "250ms, PT0.25S", "5s, PT5S", "2m, PT2M", "1h, PT1H", "1d, PT24H", "1.5s, PT1.5S", "5 s, PT5S",
            "10us, PT0.00001S", "7ns, PT0.000000007S", "0.5ms, PT0.0005S"})
    void parseDuration_acceptsUnits(String text, String expected) {
        assertThat(ConfigNode.parseDuration(text)).contains(Duration.parse(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "-1s", "infinite", "never", "5S", "5sec", "s", "1.s", ".5s", "1e3s",
            "99999999999999999999d"})
    void parseDuration_refusesOtherText(String text) {
        assertThat(ConfigNode.parseDuration(text)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"0s", "0ms", "0.0001ns"})
    void duration_zeroIsRefusedAsNotPositive(String text) {
        assertThat(node(F.textNode(text)).optDuration(DAY)).isEmpty();
        assertThat(errors.list()).containsExactly("x: " + text + " (expected: > 0)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1s", "infinite", "never"})
    void duration_nonDurationsAreRefused(String text) {
        assertThat(node(F.textNode(text)).optDuration(DAY)).isEmpty();
        assertThat(errors.list()).containsExactly("x: " + text + " (expected: a duration like 250ms, 5s, 2m, 1h)");
    }

    @Test
    void duration_numbersBooleansAndMappingsAreRefused() {
        node(F.numberNode(5)).optDuration(DAY);
        node(F.booleanNode(true)).optDuration(DAY);
        node(F.objectNode().put("a", 1)).optDuration(DAY);
        assertThat(errors.list()).containsExactly(
                "x: 5 (expected: a duration like 250ms, 5s, 2m, 1h)",
                "x: true (expected: a duration like 250ms, 5s, 2m, 1h)",
                "x: {\"a\":1} (expected: a duration like 250ms, 5s, 2m, 1h)");
    }

    @Test
    void duration_aboveMaximumIsRefused() {
        assertThat(node(F.textNode("25h")).optDuration(DAY)).isEmpty();
        assertThat(errors.list()).containsExactly("x: 25h (expected: <= 1d)");
    }

    @ParameterizedTest
    @CsvSource({"512, 512", "512B, 512", "16KiB, 16384", "16k, 16384", "16K, 16384", "1KB, 1000", "1MiB, 1048576",
            "1M, 1048576", "1MB, 1000000", "2GiB, 2147483648", "1GB, 1000000000", "10 MiB, 10485760"})
    void parseSize_acceptsUnits(String text, long expected) {
        assertThat(ConfigNode.parseSize(text)).contains(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "1.5MiB", "1mib", "1 TB", "KiB", "99999999999999999999", "9999999999999999999GiB"})
    void parseSize_refusesOtherText(String text) {
        assertThat(ConfigNode.parseSize(text)).isEmpty();
    }

    @Test
    void size_hugeIntegerIsRefusedNotWrapped() {
        JsonNode huge = F.numberNode(new BigInteger("18446744073709551617"));
        assertThat(node(huge).optSize(0, Long.MAX_VALUE)).isEmpty();
        assertThat(errors.list()).containsExactly("x: 18446744073709551617 (expected: a size like 512, 16KiB, 1MiB)");
    }

    @Test
    void size_outOfRangeNamesTheBounds() {
        assertThat(node(F.textNode("2MiB")).optSize(0, 1024 * 1024)).isEmpty();
        assertThat(node(F.numberNode(-1)).optSize(0, Long.MAX_VALUE)).isEmpty();
        assertThat(node(F.booleanNode(true)).optSize(0, Long.MAX_VALUE)).isEmpty();
        assertThat(errors.list()).containsExactly(
                "x: 2MiB (expected: between 0 and 1048576 bytes)",
                "x: -1 (expected: >= 0 bytes)",
                "x: true (expected: a size like 512, 16KiB, 1MiB)");
    }

    @ParameterizedTest
    @CsvSource({"20%, 0.2", "0%, 0", "100%, 1", "12.5%, 0.125", "0.2, 0.2", "1, 1"})
    void ratio_acceptsPercentagesAndFractions(String text, double expected) {
        assertThat(node(F.textNode(text)).ratio(0.5)).isEqualTo(expected);
        assertThat(errors.isEmpty()).isTrue();
    }

    @Test
    void ratio_refusesNonNumbersAndOutOfRange() {
        assertThat(node(F.textNode("NaN")).ratio(0.5)).isEqualTo(0.5);
        assertThat(node(F.textNode("0.2d")).ratio(0.5)).isEqualTo(0.5);
        assertThat(node(F.textNode("150%")).ratio(0.5)).isEqualTo(0.5);
        assertThat(node(F.textNode("-5%")).ratio(0.5)).isEqualTo(0.5);
        assertThat(node(F.numberNode(1.5)).ratio(0.5)).isEqualTo(0.5);
        assertThat(errors.list()).containsExactly(
                "x: NaN (expected: a percentage like 20%)",
                "x: 0.2d (expected: a percentage like 20%)",
                "x: 150% (expected: between 0% and 100%)",
                "x: -5% (expected: a percentage like 20%)",
                "x: 1.5 (expected: between 0% and 100%)");
    }

    @Test
    void invalid_showsEmptyStringsQuoted() {
        node(F.textNode("")).invalid("a name");
        assertThat(errors.list()).containsExactly("x: \"\" (expected: a name)");
    }

    @ParameterizedTest
    @CsvSource({"PT0.25S, 250ms", "PT5S, 5s", "PT2M, 2m", "PT1H, 1h", "PT24H, 1d", "PT1.5S, 1500ms",
            "PT0.0005S, 500us", "PT0.000000007S, 7ns"})
    void format_writesDurationsTheWayUsersDo(String iso, String expected) {
        assertThat(ConfigNode.format(Duration.parse(iso))).isEqualTo(expected);
    }

    @Test
    void intValue_reportsRange() {
        assertThat(node(F.numberNode(0)).intValue(3, 1, Integer.MAX_VALUE)).isEqualTo(3);
        assertThat(node(F.numberNode(1001)).intValue(1, 1, 1000)).isEqualTo(1);
        assertThat(node(F.textNode("7")).intValue(1, 1, 1000)).isEqualTo(1);
        assertThat(errors.list()).containsExactly("x: 0 (expected: >= 1)", "x: 1001 (expected: between 1 and 1000)",
                "x: 7 (expected: an integer)");
    }

    @Test
    void optString_absentIsEmptyAndMappingIsRefused() {
        assertThat(node(null).optString()).isEmpty();
        assertThat(node(F.nullNode()).optString()).isEmpty();
        assertThat(node(F.objectNode()).optString()).isEqualTo(Optional.empty());
        assertThat(errors.list()).containsExactly("x: {} (expected: a string)");
    }
}
