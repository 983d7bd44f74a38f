package io.palisade.alert;

/** What a rule says of one subject at one evaluation; {@link Track} turns a run of these into raise and resolve. */
enum Check {
    /** The condition holds. */
    TRUE,
    /** It does not. */
    FALSE,
    /** Between the raise and the clear thresholds: an alert stays as it is (hysteresis band). */
    HOLD,
    /** Too little data to say (0 of 0 is no evidence): neither a raise nor a pass. */
    NO_SIGNAL
}
