package io.palisade.release;

import io.palisade.canary.JudgeSettings;
import io.palisade.config.ConfigNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a new version is rolled out: the {@code rollout:} section. The policy of the version that is ACTIVE governs the
 * next release, so a version cannot loosen the checks that judge itself.
 *
 * <pre>{@code
 * rollout:
 *   steps: [1%, 10%, 50%, 100%]
 *   step_duration: 30s
 *   min_requests: 200
 *   split_by: client_ip
 *   judge: { max_error_rate_increase: 1%, max_p99_increase: 50%, confidence: 99%, interval: 5s }
 *   auto_rollback: true
 * }</pre>
 *
 * @param steps        the canary's share at each step, increasing; the step that reaches 100% is the promotion
 * @param stepDuration how long each step serves before it may be promoted (it holds longer without enough data)
 * @param minRequests  canary requests a step needs before a verdict lets it pass; rollback needs no minimum
 */
public record RolloutPolicy(List<Double> steps, Duration stepDuration, long minRequests, SplitBy splitBy,
                            double maxErrorRateIncrease, double maxP99Increase, double confidence,
                            Duration interval, boolean autoRollback) {
    public static final Set<String> KEYS = Set.of("steps", "step_duration", "min_requests", "split_by", "judge",
            "auto_rollback");
    static final Set<String> JUDGE_KEYS = Set.of("max_error_rate_increase", "max_p99_increase", "confidence",
            "interval");
    private static final RolloutPolicy DEFAULTS = new RolloutPolicy(List.of(0.01, 0.10, 0.50, 1.0),
            Duration.ofSeconds(30), 200, SplitBy.CLIENT_IP, 0.01, 0.50, 0.99, Duration.ofSeconds(5), true);

    public RolloutPolicy {
        steps = List.copyOf(steps);
    }

    public static RolloutPolicy defaults() {
        return DEFAULTS;
    }

    /** Reads {@code rollout:}; every key may be left out, taking the default shown in the class comment. */
    public static RolloutPolicy read(ConfigNode node) {
        if (!node.isPresent()) {
            return DEFAULTS;
        }
        if (!node.expectObject()) {
            return DEFAULTS;
        }
        node.rejectUnknown(KEYS);
        List<Double> steps = steps(node.get("steps"));
        Duration stepDuration = node.get("step_duration").duration(DEFAULTS.stepDuration, Duration.ofHours(24));
        if (stepDuration.compareTo(Duration.ofSeconds(1)) < 0) {
            node.get("step_duration").invalid("at least 1s");
        }
        long minRequests = node.get("min_requests").longValue(DEFAULTS.minRequests, 1, 100_000_000);
        String split = node.get("split_by").oneOf("client_ip", List.of("client_ip", "consumer", "request"));
        boolean autoRollback = node.get("auto_rollback").bool(true);
        ConfigNode judge = node.get("judge");
        double errorIncrease = DEFAULTS.maxErrorRateIncrease;
        double p99Increase = DEFAULTS.maxP99Increase;
        double confidence = DEFAULTS.confidence;
        Duration interval = DEFAULTS.interval;
        if (judge.isPresent() && judge.expectObject()) {
            judge.rejectUnknown(JUDGE_KEYS);
            errorIncrease = judge.get("max_error_rate_increase").ratio(errorIncrease);
            p99Increase = percentAbove(judge.get("max_p99_increase"), p99Increase);
            confidence = judge.get("confidence").ratio(confidence);
            if (judge.get("confidence").isPresent() && (confidence < 0.5 || confidence >= 1)) {
                judge.get("confidence").invalid("at least 50% and below 100%");
                confidence = DEFAULTS.confidence;
            }
            interval = judge.get("interval").duration(interval, Duration.ofHours(1));
            if (interval.compareTo(Duration.ofMillis(100)) < 0) {
                judge.get("interval").invalid("at least 100ms");
            } else if (interval.compareTo(stepDuration) > 0) {
                judge.get("interval").invalid("at most step_duration (" + ConfigNode.format(stepDuration) + ")");
            }
        }
        return new RolloutPolicy(steps, stepDuration, minRequests, SplitBy.valueOf(split.toUpperCase(Locale.ROOT)),
                errorIncrease, p99Increase, confidence, interval, autoRollback);
    }

    /** A latency increase may exceed 100% ({@code 200%} = three times the baseline), unlike a share. */
    private static double percentAbove(ConfigNode node, double defaultValue) {
        if (!node.isPresent()) {
            return defaultValue;
        }
        String text = node.raw().asText().trim();
        boolean percent = text.endsWith("%");
        String number = percent ? text.substring(0, text.length() - 1).trim() : text;
        if (!number.matches("\\d{1,5}(\\.\\d{1,6})?")) {
            node.invalid("a percentage like 50%");
            return defaultValue;
        }
        double v = Double.parseDouble(number);
        return percent ? v / 100.0 : v;
    }

    private static List<Double> steps(ConfigNode node) {
        if (!node.isPresent()) {
            return DEFAULTS.steps;
        }
        if (!node.isArray() || node.elements().isEmpty()) {
            node.invalid("a list of increasing percentages like [1%, 10%, 50%, 100%]");
            return DEFAULTS.steps;
        }
        List<Double> steps = new ArrayList<>();
        double previous = 0;
        for (ConfigNode element : node.elements()) {
            double share = element.ratio(-1);
            if (share < 0) {
                continue;
            }
            if (share <= previous) {
                element.invalid(previous == 0 ? "above 0%" : "above the step before it ("
                        + percent(previous) + ")");
                continue;
            }
            steps.add(share);
            previous = share;
        }
        if (steps.isEmpty()) {
            return DEFAULTS.steps;
        }
        if (previous < 1.0) {
            // The last step is the promotion whether or not it is written.
            steps.add(1.0);
        }
        return steps;
    }

    static String percent(double share) {
        double p = share * 100;
        return (p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p)) + "%";
    }

    /** Steps judged before the promotion: every step below 100%. */
    int judgedSteps() {
        return steps.size() - 1;
    }

    /**
     * The judge's settings. Alpha is spent over the looks the rollout should take: two intervals per judged step of
     * normal length, doubled so that a step held for want of data does not run out of looks.
     */
    JudgeSettings judge() {
        long perStep = Math.max(1, (stepDuration.toMillis() + interval.toMillis() - 1) / interval.toMillis());
        int looks = (int) Math.min(10_000, 2 * Math.max(1, judgedSteps()) * perStep);
        return new JudgeSettings(maxErrorRateIncrease, maxP99Increase, confidence, interval, minRequests, looks);
    }
}
