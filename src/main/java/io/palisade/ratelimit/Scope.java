package io.palisade.ratelimit;

/** Where a rule is counted. */
public enum Scope {
    /** On this node only, whatever the store. */
    LOCAL,
    /** In Redis when {@code rate_limiting.store} is {@code redis} (shared by all nodes); on this node otherwise. */
    GLOBAL
}
