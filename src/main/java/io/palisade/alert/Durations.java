package io.palisade.alert;

import io.palisade.config.ConfigNode;
import java.time.Duration;
import java.util.Locale;

/** How alert texts write durations, shares and rates. */
final class Durations {
    private Durations() {}

    /** {@code 2.5s}, {@code 30s}, {@code 5m}, {@code 1h}, as a user writes one. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0 && ms > 1000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        return ConfigNode.format(Duration.ofMillis(ms));
    }

    /** {@code 12.5%}. */
    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    /** {@code 14.4x}. */
    static String rate(double burn) {
        return String.format(Locale.ROOT, burn >= 100 ? "%.0fx" : "%.1fx", burn);
    }

    /** A figure for the evidence: finite doubles rounded to 6 significant digits, so JSON stays readable. */
    static Double figure(double v) {
        if (!Double.isFinite(v) || v == 0) {
            return v;
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue();
    }
}
