package io.palisade.ratelimit;

/** When a rule is checked: before authentication (only {@code before_auth: true} rules) or after it (the rest). */
public enum Phase {
    /** Rules with {@code before_auth: true}: they shield the auth service, so they cannot use the consumer. */
    BEFORE_AUTH,
    /** Every other rule; the consumer is known (empty for anonymous requests). */
    AFTER_AUTH
}
