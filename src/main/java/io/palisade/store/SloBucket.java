package io.palisade.store;

import java.util.Objects;

/**
 * The counts of one SLO over one bucket of time, as the SLO engine saves them: good and total requests over
 * {@code [startMillis, startMillis + widthMillis)}, epoch milliseconds.
 *
 * @param node the gateway that counted them (gateways sharing a database keep their own)
 */
public record SloBucket(String node, String slo, long widthMillis, long startMillis, long good, long total) {
    public SloBucket {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(slo, "slo");
        if (widthMillis <= 0) {
            throw new IllegalArgumentException("widthMillis: " + widthMillis + " (expected: > 0)");
        }
        if (good < 0 || total < good) {
            throw new IllegalArgumentException("good " + good + ", total " + total + " (expected: 0 <= good <= total)");
        }
    }
}
