package io.palisade.canary;

/** What one test found at one look: whether it shows a regression, and the figures behind that, in words. */
record Finding(boolean regressed, String reason) {}
