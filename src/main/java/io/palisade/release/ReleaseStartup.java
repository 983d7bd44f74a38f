package io.palisade.release;

import io.palisade.config.ConfigException;
import io.palisade.store.Audit;
import io.palisade.store.NewVersion;
import io.palisade.store.StateChange;
import io.palisade.store.StateStore;
import io.palisade.store.StoredVersion;
import io.palisade.store.VersionState;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What serves at start-up (docs/releases.md, "Start-up"): decided once, on the release thread, before any traffic.
 */
final class ReleaseStartup<P> {
    private static final Logger log = LoggerFactory.getLogger(ReleaseManager.class);
    private final Deployment<P, ?> deployment;
    private final StateStore store;
    private final Clock clock;
    private Optional<ReleaseJson.Ended> interrupted = Optional.empty();

    ReleaseStartup(Deployment<P, ?> deployment, StateStore store, Clock clock) {
        this.deployment = deployment;
        this.store = store;
        this.clock = clock;
    }

    /** The rollout the last run left unfinished, if there was one: how it ended, for {@code GET /config/rollout}. */
    Optional<ReleaseJson.Ended> interrupted() {
        return interrupted;
    }

    ReleaseManager.Start<P> decide(String fileYaml, String fileName) {
        Instant now = clock.instant();
        for (StoredVersion v : store.versions(1000)) {
            if (v.state() == VersionState.CANARY) {
                store.setStates(List.of(new StateChange(v.number(), VersionState.ROLLED_BACK,
                                List.of("interrupted: the gateway stopped during the rollout"))),
                        new Audit(now, ReleaseManager.SYSTEM, "rollout.interrupted", OptionalLong.of(v.number()),
                                "the gateway stopped during the rollout of version " + v.number()
                                        + "; the last promoted version serves"));
                interrupted = Optional.of(new ReleaseJson.Ended(v.number(), "interrupted", now, "the gateway restarted"));
                log.warn("the rollout of config version {} was interrupted by a restart; it is marked rolled_back",
                        v.number());
            }
        }
        Optional<StoredVersion> stored = store.newestIn(VersionState.ACTIVE);
        P file;
        try {
            file = deployment.parse(fileYaml);
        } catch (ConfigException e) {
            if (stored.isEmpty()) {
                throw e;
            }
            Optional<P> storedParsed = tryParse(stored.get());
            if (storedParsed.isEmpty()) {
                throw e;
            }
            store.audit(new Audit(now, ReleaseManager.SYSTEM, "config.file.refused", OptionalLong.empty(),
                    fileName + " is invalid; stored version " + stored.get().number() + " serves: "
                            + String.join("; ", e.errors())));
            return new ReleaseManager.Start<>(stored.get(), storedParsed.get(), e.errors());
        }
        String hash = deployment.hash(file);
        if (stored.isPresent() && stored.get().hash().equals(hash)) {
            return new ReleaseManager.Start<>(stored.get(), file, List.of());
        }
        Optional<P> storedParsed = stored.flatMap(this::tryParse);
        // Probes decide between two versions; with none stored there is nothing to fall back to, and health checks
        // and outlier detection watch the endpoints from the first request on.
        List<String> failures = storedParsed.isEmpty() ? List.of()
                : Preflight.run(deployment.probes(file)).stream().map(ProbeFailure::message).toList();
        if (!failures.isEmpty() && storedParsed.isPresent()) {
            StoredVersion rejected = store.addVersion(new NewVersion(hash, OptionalLong.of(stored.get().number()),
                            "palisade run", "start-up with " + fileName, now, fileYaml, VersionState.REJECTED, failures),
                    new Audit(now, ReleaseManager.SYSTEM, "config.apply.rejected", OptionalLong.empty(),
                            fileName + " failed pre-flight; stored version " + stored.get().number() + " serves: "
                                    + String.join("; ", failures)));
            log.warn("{} failed pre-flight and is stored as rejected version {}; version {} serves:\n  {}", fileName,
                    rejected.number(), stored.get().number(), String.join("\n  ", failures));
            return new ReleaseManager.Start<>(stored.get(), storedParsed.get(), failures);
        }
        OptionalLong parent = stored.map(v -> OptionalLong.of(v.number())).orElse(OptionalLong.empty());
        String message = stored.isEmpty() ? "first start with " + fileName : "start-up with " + fileName;
        StoredVersion added = store.addVersion(new NewVersion(hash, parent, "palisade run", message, now, fileYaml,
                        VersionState.CANARY, failures),
                new Audit(now, ReleaseManager.SYSTEM, "config.apply", OptionalLong.empty(), message
                        + (failures.isEmpty() ? "" : "; pre-flight failed but nothing else can serve: "
                        + String.join("; ", failures))));
        List<StateChange> changes = new ArrayList<>();
        changes.add(new StateChange(added.number(), VersionState.ACTIVE, failures));
        stored.ifPresent(s -> changes.add(new StateChange(s.number(), VersionState.SUPERSEDED, List.of())));
        store.setStates(changes, new Audit(now, ReleaseManager.SYSTEM, "config.activate", OptionalLong.of(added.number()),
                "version " + added.number() + " serves from start-up"));
        stored.ifPresent(s -> store.putSetting(ReleaseManager.PREVIOUS_ACTIVE, Long.toString(s.number())));
        if (!failures.isEmpty()) {
            log.warn("config version {} failed pre-flight, and serves since no other version can:\n  {}",
                    added.number(), String.join("\n  ", failures));
        }
        return new ReleaseManager.Start<>(store.version(added.number()).orElseThrow(), file, failures);
    }

    private Optional<P> tryParse(StoredVersion v) {
        try {
            return Optional.of(deployment.parse(v.yaml()));
        } catch (ConfigException e) {
            log.warn("stored config version {} no longer validates: {}", v.number(), e.errors());
            return Optional.empty();
        }
    }
}
