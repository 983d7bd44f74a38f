package io.palisade.slo;

/**
 * What a burn-rate condition says, in three values: a window with fewer than {@link SloEngine#MIN_EVENTS} requests
 * has no burn rate at all (0 of 0 is no evidence either way), so a condition on it is neither an alert nor a pass.
 */
public enum BurnSignal {
    /** Every window the condition needs has enough requests and burns above its factor. */
    BURNING,
    /** Enough requests to tell, and the budget does not burn that fast. */
    NOT_BURNING,
    /** Too few requests in a window the answer depends on. */
    NO_SIGNAL;

    /** Both must burn: NOT_BURNING as soon as either is known not to. */
    static BurnSignal and(BurnSignal a, BurnSignal b) {
        if (a == NOT_BURNING || b == NOT_BURNING) {
            return NOT_BURNING;
        }
        return a == BURNING && b == BURNING ? BURNING : NO_SIGNAL;
    }

    /** Either may burn: NOT_BURNING only when both are known not to. */
    static BurnSignal or(BurnSignal a, BurnSignal b) {
        if (a == BURNING || b == BURNING) {
            return BURNING;
        }
        return a == NOT_BURNING && b == NOT_BURNING ? NOT_BURNING : NO_SIGNAL;
    }
}
