package io.palisade.alert;

/**
 * Told of every change of an alert by the {@link AlertEngine} it was added to, on the engine's thread
 * ({@code palisade-alerts}), after the evaluation that made the change, in the order of the changes. Three kinds of
 * call:
 * <ul>
 *   <li><b>raised</b>: {@code before} is null, {@code after} fires;</li>
 *   <li><b>updated</b>: both fire, with the same {@link Alert#key() key}, and {@code after} has fresher figures (at
 *       most once per {@link AlertEngine#UPDATE_INTERVAL} per alert, and only when its summary changed): e.g. a burn
 *       that got worse;</li>
 *   <li><b>resolved</b>: {@code before} fires, {@code after} is resolved (its summary says why, its evidence is the
 *       last the alert had).</li>
 * </ul>
 * {@code before} is always the version the listeners were last told of, so an update's pair shows what changed.
 * An alert that fires again after it resolved is a new one (raised again, with a new {@code since}); the hysteresis
 * of each rule (docs/slo.md) keeps that from happening on every evaluation.
 *
 * <p>It must return soon (the next evaluation waits for it) and must not throw: a listener that throws is logged
 * (rate-limited) and the others are still told.
 */
@FunctionalInterface
public interface AlertListener {
    void onChange(Alert before, Alert after);
}
