package io.palisade.slo;

import java.time.LocalDate;
import java.util.OptionalDouble;

/**
 * One UTC day of an SLO, for the 90-day uptime bars.
 *
 * @param good  requests that met the objective that day
 * @param total requests the SLO counted that day; 0 for a day without any (or before the gateway kept history)
 */
public record DayFigures(LocalDate day, long good, long total) {
    /** Good over total; empty for a day without requests: no data is not 100%. */
    public OptionalDouble goodRatio() {
        return total == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) good / total);
    }
}
