package io.palisade.status;

import java.time.LocalDate;
import java.util.OptionalDouble;

/**
 * The daily uptime behind a component's 90-day bar: the composition root adapts the SLOs' daily history to it (a
 * component's share of good requests that day, say). It is called on the page's render thread, never an event loop,
 * 90 times per component per render, so it may read a store but should be quick.
 */
@FunctionalInterface
public interface UptimeSource {
    /**
     * @param day a UTC day
     * @return the share of that day the component was up (0 to 1), or empty when nothing is known (no traffic, before
     *         the page existed)
     */
    OptionalDouble uptime(String componentId, LocalDate day);

    /** No data: every bar shows "no data". */
    static UptimeSource none() {
        return (component, day) -> OptionalDouble.empty();
    }
}
