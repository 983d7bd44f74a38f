package io.palisade.auth;

import java.util.Objects;

/**
 * An auth decision made on the calling thread, with what the filter needs to apply it. The verdicts of API-key
 * consumers are built once per credential view ({@link ApiKeyIndex}), their groups header already joined, so a request
 * they allow formats and allocates nothing of its own.
 *
 * @param decision     the decision
 * @param groupsHeader the {@code X-Consumer-Groups} value of an allowed identity with groups (sorted, comma-joined);
 *                     null for any other decision
 */
record Verdict(AuthDecision decision, String groupsHeader) {
    Verdict {
        Objects.requireNonNull(decision, "decision");
    }

    static Verdict of(AuthDecision decision) {
        return new Verdict(decision, decision instanceof AuthDecision.Allowed a
                ? AuthHeaders.groupsHeader(a.identity()) : null);
    }
}
