package io.palisade.store;

import java.util.Objects;

/** Every bucket of {@code node}'s SLO {@code slo} of width {@code widthMillis} that starts before {@code beforeMillis}. */
public record SloBucketRange(String node, String slo, long widthMillis, long beforeMillis) {
    public SloBucketRange {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(slo, "slo");
    }
}
