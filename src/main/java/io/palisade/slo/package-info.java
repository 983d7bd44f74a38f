/**
 * Service-level objectives: {@link io.palisade.slo.SloSettings} reads the {@code slos:} section, and
 * {@link io.palisade.slo.SloEngine}, an outcome subscriber, counts each SLO's good and bad requests in bucketed windows
 * on an injected clock, computes burn rates over the SRE workbook's multi-window scheme
 * ({@link io.palisade.slo.BurnRule}, with windows scaled to the SLO window: {@link io.palisade.slo.BurnWindow}), the
 * error budget left and a 90-day history, and keeps its counters in the state store across restarts. See
 * {@code docs/slo.md}.
 *
 * <p>Imports the outcome record, the error taxonomy, the config toolkit, metrics, the state store and time; never the
 * alerts built on it ({@code io.palisade.alert} imports this package, not the reverse).
 */
package io.palisade.slo;
