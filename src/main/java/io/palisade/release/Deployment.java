package io.palisade.release;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What the release manager needs from the gateway it releases into, so that releasing (versions, probes, stages,
 * verdicts, rollback) knows nothing of snapshots and sockets. The gateway implements it.
 *
 * <p>Everything but {@link #activate} and {@link #serve} is free of side effects: a version can be parsed, probed and
 * prepared, then dropped, without changing what serves.
 *
 * @param <P> a parsed, validated config
 * @param <C> a prepared candidate: ready to serve, not serving
 */
public interface Deployment<P, C> {
    /**
     * Parses and validates YAML text.
     *
     * @throws io.palisade.config.ConfigException with every problem found
     */
    P parse(String yaml);

    /** SHA-256 over the YAML and every file it names (certificates, secrets, token files), hex. */
    String hash(P parsed);

    /** The config as a tree; with {@code redacted} false, secrets included: for comparing only, never shown. */
    JsonNode tree(P parsed, boolean redacted);

    /** The YAML with secrets redacted, for {@code config show}. */
    String redactedYaml(String yaml);

    RolloutPolicy rollout(P parsed);

    /** Changes that need a restart (listeners, admin address, ...), as reasons; empty when a release can apply it. */
    List<String> restartOnly(P next);

    /** What the version adds or changes compared to what serves, to be probed before any traffic reaches it. */
    List<Probe> probes(P next);

    /**
     * The traffic-shift guard: refusals for routes whose traffic {@code next} moves to a cluster with no healthy
     * endpoint, or whose healthy endpoints times {@code limits.max_requests} are fewer than the moved routes'
     * requests in flight now. Reads live health and counters; changes nothing.
     */
    List<String> guard(P next);

    /** Builds everything the version needs to serve, labelled with its version number; no effect on what serves. */
    C prepare(P parsed, long version);

    /** Makes {@code only} the one version that serves: one swap; requests in flight finish on theirs. */
    void activate(C only);

    /**
     * Serves {@code canary} beside {@code primary}: {@code share} of new requests (bound by {@code splitBy}) go to the
     * canary. Called again with a larger share at each step.
     */
    void serve(C primary, C canary, double share, SplitBy splitBy);
}
