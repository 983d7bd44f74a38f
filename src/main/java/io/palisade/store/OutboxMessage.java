package io.palisade.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One webhook message in the outbox: its id (the {@code webhook-id} a receiver dedupes on), the subscriber (its URL)
 * it goes to, the body exactly as it is signed and sent, and where its delivery stands.
 *
 * @param attempts    deliveries tried so far
 * @param nextAttempt when it is next due
 */
public record OutboxMessage(String id, String subscriber, String body, Instant createdAt, int attempts,
                            Instant nextAttempt) {
    public OutboxMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(subscriber, "subscriber");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(nextAttempt, "nextAttempt");
    }
}
