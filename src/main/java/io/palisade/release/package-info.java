/**
 * Versioned config releases: what a new version changes ({@link io.palisade.release.ConfigDiff}) and whether what it
 * adds or changes answers before any traffic reaches it ({@link io.palisade.release.Preflight} running
 * {@link io.palisade.release.Probe}s, failures as {@link io.palisade.release.ProbeFailure}).
 *
 * <pre>{@code
 * List<ConfigDiff.Change> changes = ConfigDiff.between(activeTree, nextTree);
 * List<Probe> probes = probesFor(changes);          // e.g. a new endpoint, a changed auth URL
 * List<ProbeFailure> failures = Preflight.run(probes);
 * failures.forEach(f -> log.warn(f.message()));     // clusters.orders.endpoints[0] 10.0.0.9:8080: TCP connect refused
 * }</pre>
 *
 * <p>Imports only the config toolkit and {@code time} of Palisade. {@code Preflight.run} blocks its caller for up to
 * the largest probe timeout: it belongs on the release thread, never on an event loop.
 */
package io.palisade.release;
