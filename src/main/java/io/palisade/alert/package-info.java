/**
 * Alerts: {@link io.palisade.alert.AlertEngine} evaluates, on its own timer, the SLO burn-rate alerts (page and
 * ticket per SLO, from {@code io.palisade.slo}) and the built-in ones (4xx spikes and auth outages from the outcomes;
 * rate-limit fallback, clusters without endpoints, in failover or panic, ingest backlogs and quarantines, event-loop
 * lag from the gateway's {@link io.palisade.alert.Signals}; config rollbacks as events), with hysteresis, and keeps
 * the {@link io.palisade.alert.Alert}s active and recent for {@code GET /alerts}, the metrics and its
 * {@link io.palisade.alert.AlertListener}s (automatic incidents). See {@code docs/slo.md}.
 *
 * <p>Imports {@code slo} (never the reverse), the outcome record, the error taxonomy, metrics, time, the config
 * toolkit (to format durations) and the admin API's {@code AlertApi}; never the gateway, which wires it.
 */
package io.palisade.alert;
