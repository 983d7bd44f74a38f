package io.palisade.slo;

import java.time.Duration;

/**
 * The burn-rate windows of the multi-window scheme, named as the Google SRE workbook names them for a 30-day SLO.
 * They scale with the SLO's window the way Pyrra scales them: each is the same share of the SLO window as it is of
 * 30 days, so an SLO over {@code 6h} (120 times shorter) has a "5m" window of 2.5 s and a "1h" window of 30 s, and a
 * drill alerts in seconds.
 *
 * <p>The engine counts in buckets of 1/43200 of the SLO window (a minute of a 30-day SLO) for the short windows, and of
 * 1/720 (an hour) for {@link #D1}, {@link #D3} and the whole SLO window: {@link #buckets()} is how many.
 */
public enum BurnWindow {
    M5("5m", Duration.ofMinutes(5), true),
    M30("30m", Duration.ofMinutes(30), true),
    H1("1h", Duration.ofHours(1), true),
    H2("2h", Duration.ofHours(2), true),
    H6("6h", Duration.ofHours(6), true),
    D1("1d", Duration.ofDays(1), false),
    D3("3d", Duration.ofDays(3), false);

    /** The SLO window the nominal lengths are written for. */
    public static final Duration REFERENCE = Duration.ofDays(30);
    /** Fine buckets per SLO window: a 30-day SLO counts by the minute. */
    static final long FINE_PER_WINDOW = 43_200;
    /** Coarse buckets per SLO window: a 30-day SLO counts the long windows by the hour. */
    static final long COARSE_PER_WINDOW = 720;

    private final String label;
    private final Duration nominal;
    private final boolean fine;

    BurnWindow(String label, Duration nominal, boolean fine) {
        this.label = label;
        this.nominal = nominal;
        this.fine = fine;
    }

    /** {@code 5m}, {@code 1h}...: the workbook's name, the {@code window} label of the metrics. */
    public String label() {
        return label;
    }

    /** The length for a 30-day SLO. */
    public Duration nominal() {
        return nominal;
    }

    /** The length for an SLO over {@code sloWindow}: {@code nominal x sloWindow / 30d}, as the engine counts it. */
    public Duration scaled(Duration sloWindow) {
        return Duration.ofMillis(buckets() * (fine ? fineWidthMillis(sloWindow) : coarseWidthMillis(sloWindow)));
    }

    /** Whether the engine counts this window in fine buckets (else coarse). */
    boolean fine() {
        return fine;
    }

    /** How many buckets of its tier the window spans: 5 for {@code 5m}, 24 for {@code 1d}. */
    int buckets() {
        long per = REFERENCE.toMillis() / (fine ? FINE_PER_WINDOW : COARSE_PER_WINDOW);
        return (int) (nominal.toMillis() / per);
    }

    static long fineWidthMillis(Duration sloWindow) {
        return Math.max(1, sloWindow.toMillis() / FINE_PER_WINDOW);
    }

    static long coarseWidthMillis(Duration sloWindow) {
        return fineWidthMillis(sloWindow) * (FINE_PER_WINDOW / COARSE_PER_WINDOW);
    }

    /** The whole SLO window in coarse buckets, as the engine counts it (the error budget's span). */
    static Duration wholeWindow(Duration sloWindow) {
        return Duration.ofMillis(COARSE_PER_WINDOW * coarseWidthMillis(sloWindow));
    }
}
