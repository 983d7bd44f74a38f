package io.palisade.release;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigException;
import io.palisade.config.ConfigNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RolloutPolicyTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static RolloutPolicy read(String yaml) throws Exception {
        JsonNode tree = YAML.readTree("rollout: " + yaml);
        ConfigErrors errors = new ConfigErrors();
        RolloutPolicy p = RolloutPolicy.read(new ConfigNode(tree, "", errors).get("rollout"));
        errors.throwIfAny();
        return p;
    }

    private static List<String> errors(String yaml) throws Exception {
        try {
            read(yaml);
            return List.of();
        } catch (ConfigException e) {
            return e.errors();
        }
    }

    @Test
    void absent_isTheDocumentedDefaults() throws Exception {
        ConfigErrors errors = new ConfigErrors();
        RolloutPolicy p = RolloutPolicy.read(new ConfigNode(YAML.readTree("{}"), "", errors).get("rollout"));
        assertThat(p).isEqualTo(RolloutPolicy.defaults());
        assertThat(p.steps()).containsExactly(0.01, 0.10, 0.50, 1.0);
        assertThat(p.stepDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.minRequests()).isEqualTo(200);
        assertThat(p.splitBy()).isEqualTo(SplitBy.CLIENT_IP);
        assertThat(p.maxErrorRateIncrease()).isEqualTo(0.01);
        assertThat(p.maxP99Increase()).isEqualTo(0.5);
        assertThat(p.confidence()).isEqualTo(0.99);
        assertThat(p.interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.autoRollback()).isTrue();
        assertThat(p.judgedSteps()).isEqualTo(3);
    }

    @Test
    void written_isRead_and100PercentIsAddedAsThePromotion() throws Exception {
        RolloutPolicy p = read("{ steps: [5%, 25%], step_duration: 1m, min_requests: 50, split_by: consumer,"
                + " judge: { max_error_rate_increase: 0.5%, max_p99_increase: 200%, confidence: 95%,"
                + " interval: 2s }, auto_rollback: false }");
        assertThat(p.steps()).containsExactly(0.05, 0.25, 1.0);
        assertThat(p.stepDuration()).isEqualTo(Duration.ofMinutes(1));
        assertThat(p.splitBy()).isEqualTo(SplitBy.CONSUMER);
        assertThat(p.maxErrorRateIncrease()).isEqualTo(0.005);
        assertThat(p.maxP99Increase()).isEqualTo(2.0);
        assertThat(p.confidence()).isEqualTo(0.95);
        assertThat(p.autoRollback()).isFalse();
        assertThat(read("{ steps: [100%] }").judgedSteps()).as("straight to the promotion").isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{ steps: [10%, 5%] }|rollout.steps[1]: 5% (expected: above the step before it (10%))",
        "{ steps: [] }|rollout.steps",
        "{ steps: [0%] }|rollout.steps[0]",
        "{ steps: [150%] }|rollout.steps[0]",
        "{ step_duration: 500ms }|rollout.step_duration",
        "{ min_requests: 0 }|rollout.min_requests",
        "{ split_by: tenant }|rollout.split_by",
        "{ judge: { confidence: 100% } }|rollout.judge.confidence",
        "{ judge: { interval: 1m } }|rollout.judge.interval",
        "{ judge: { interval: 10ms } }|rollout.judge.interval",
        "{ judge: { max_p99_increase: fast } }|rollout.judge.max_p99_increase",
        "{ judge: { typo: 1 } }|rollout.judge.typo",
        "{ stepz: [1%] }|rollout.stepz",
        "[1%, 2%]|rollout"
    })
    void badInput_isRefusedNamingTheKey(String yaml, String expected) throws Exception {
        assertThat(errors(yaml)).as(yaml).anySatisfy(e -> assertThat(e).startsWith(expected));
    }
}
