package io.palisade.status;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A scheduled maintenance: a window in which its components show {@code under_maintenance} (unless an incident gives
 * them worse). Its Statuspage status follows from the time ({@link #status(Instant)}); an operator may end it early.
 *
 * @param components component ids
 * @param completedAt when an operator ended it before {@code scheduledUntil}
 */
public record Maintenance(String id, String name, String body, Instant scheduledFor, Instant scheduledUntil,
                          List<String> components, Instant createdAt, Instant updatedAt, Actor createdBy,
                          Optional<Instant> completedAt, Optional<Actor> completedBy) {
    /** Statuspage's maintenance statuses ({@code verifying} is not used: a window ends when it ends). */
    public enum Status {
        SCHEDULED, IN_PROGRESS, COMPLETED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Maintenance {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(scheduledFor, "scheduledFor");
        Objects.requireNonNull(scheduledUntil, "scheduledUntil");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(createdBy, "createdBy");
        components = List.copyOf(components);
        if (!scheduledUntil.isAfter(scheduledFor)) {
            throw new IllegalArgumentException("a maintenance ends after it starts");
        }
    }

    public Status status(Instant now) {
        if (completedAt.isPresent() || !now.isBefore(scheduledUntil)) {
            return Status.COMPLETED;
        }
        return now.isBefore(scheduledFor) ? Status.SCHEDULED : Status.IN_PROGRESS;
    }

    /** When it ended or will end: the operator's early end, else the scheduled end. */
    public Instant endsAt() {
        return completedAt.orElse(scheduledUntil);
    }

    Maintenance completed(Instant at, Actor by) {
        return new Maintenance(id, name, body, scheduledFor, scheduledUntil, components, createdAt, at, createdBy,
                Optional.of(at), Optional.of(by));
    }
}
