package io.palisade.release;

import java.util.Objects;

/**
 * A probe that did not pass: what the config calls it ({@code subject}), where it went ({@code target}: the address
 * as configured, or the URL without user info) and what failed ({@code reason}, e.g. {@code TCP connect refused}).
 */
public record ProbeFailure(String subject, String target, String reason) {
    public ProbeFailure {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * One line naming the address and what failed:
     * {@code clusters.orders.endpoints[0] 10.0.0.9:8080: TCP connect timed out after 1s}.
     */
    public String message() {
        return subject + " " + target + ": " + reason;
    }
}
