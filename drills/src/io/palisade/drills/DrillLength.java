package io.palisade.drills;

import java.time.Duration;

/**
 * How much load a drill offers. By default the shortest load that still shows the drill's guarantee, so that
 * {@code bin/test} (what CI runs) stays within its time budget; with {@code -Dpalisade.drill.long=true}
 * ({@code bin/test-long}) the drills' original, longer loads, which take the same paths many more times (more reloads,
 * more flooded paths, more bad inputs) and so have more chances to hit a rare race.
 *
 * <pre>{@code
 * private static final int RELOADS = DrillLength.pick(6, 20);
 * }</pre>
 */
final class DrillLength {
    /** The system property that selects the long loads. */
    static final String PROPERTY = "palisade.drill.long";
    private static final boolean LONG = Boolean.getBoolean(PROPERTY);

    private DrillLength() {}

    static boolean isLong() {
        return LONG;
    }

    /** "short" or "long", for the reports. */
    static String name() {
        return LONG ? "long" : "short";
    }

    static int pick(int normal, int longRun) {
        return LONG ? longRun : normal;
    }

    static long pick(long normal, long longRun) {
        return LONG ? longRun : normal;
    }

    static Duration pick(Duration normal, Duration longRun) {
        return LONG ? longRun : normal;
    }
}
