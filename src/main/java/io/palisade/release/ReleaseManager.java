package io.palisade.release;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.palisade.admin.AdminReply;
import io.palisade.admin.ApplyRequest;
import io.palisade.admin.Caller;
import io.palisade.admin.ReleaseApi;
import io.palisade.canary.CanaryJudge;
import io.palisade.config.ConfigException;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.store.Audit;
import io.palisade.store.NewVersion;
import io.palisade.store.StateChange;
import io.palisade.store.StateStore;
import io.palisade.store.StoredVersion;
import io.palisade.store.VersionState;
import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Config releases: every version stored, validated, probed, rolled out in stages judged against the version that
 * serves, rolled back by itself on a regression or by one command, and audited (seeds 004 and 002).
 *
 * <p>Every change runs on one thread, {@code palisade-release}, in order: the store's JDBC calls block and must never
 * run on an event loop, and one thread makes "a second rollout while one runs" a plain check. Probes, which may take
 * seconds, run off that thread, so a rollback is never queued behind them.
 *
 * <pre>{@code
 * ReleaseManager<P, C> releases = new ReleaseManager<>(deployment, store, outcomes, clock, ticker);
 * ReleaseManager.Start<P> start = releases.start(Files.readString(file), file.toString());
 * C first = deployment.prepare(start.parsed(), start.version().number());
 * releases.serving(start, first);              // now the admin API can release the next version
 * }</pre>
 */
public final class ReleaseManager<P, C> implements ReleaseApi, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReleaseManager.class);
    /** The system's own actor in the audit: what it did without being asked. */
    static final String SYSTEM = "palisade";
    static final String PREVIOUS_ACTIVE = "previous_active";

    private final Deployment<P, C> deployment;
    private final StateStore store;
    private final OutcomePublisher outcomes;
    private final Clock clock;
    private final Ticker ticker;
    private final ScheduledExecutorService thread;
    private final RefusalAudit refusals;
    /** Told of every rollout that ended rolled back (automatically or by an operator): the alerts hear of it. */
    private volatile java.util.function.BiConsumer<Long, String> rolledBack = (version, reason) -> { };
    /** Probes block on sockets for up to their deadlines; virtual threads keep that off the release thread. */
    private final java.util.concurrent.ExecutorService probing = java.util.concurrent.Executors
            .newVirtualThreadPerTaskExecutor();
    private Serving<P, C> active;
    /** What {@link #active} says of itself, published for readers on other threads (the admin port's /config). */
    private volatile StoredVersion published;
    private Rollout<P, C> rollout;
    private ScheduledFuture<?> judging;
    private ReleaseJson.Ended last;

    public ReleaseManager(Deployment<P, C> deployment, StateStore store, OutcomePublisher outcomes, Clock clock,
                          Ticker ticker) {
        this.deployment = Objects.requireNonNull(deployment, "deployment");
        this.store = Objects.requireNonNull(store, "store");
        this.outcomes = Objects.requireNonNull(outcomes, "outcomes");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "palisade-release");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        this.thread = t;
        this.refusals = new RefusalAudit(store, ticker);
    }

    /** What serves first: a stored version and its parsed config. */
    public record Start<P>(StoredVersion version, P parsed, List<String> warnings) {}

    /**
     * Decides what serves at start-up, before any traffic: a rollout the last run left unfinished is marked
     * interrupted; the stored active version serves, unless the file differs from it and passes validation and
     * pre-flight, in which case the file becomes a new active version at once (nothing serves yet, so there is nothing
     * to stage against). On an empty store the file becomes version 1 unprobed: with nothing else to serve, a valid
     * config beats none.
     *
     * @throws ConfigException when the file is invalid and no stored version can serve instead
     */
    public Start<P> start(String fileYaml, String fileName) {
        try {
            return onThread(() -> {
                ReleaseStartup<P> startup = new ReleaseStartup<>(deployment, store, clock);
                Start<P> decided = startup.decide(fileYaml, fileName);
                startup.interrupted().ifPresent(ended -> last = ended);
                return decided;
            }).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Records what serves after {@link #start}: from now on releases are judged against it. */
    public void serving(Start<P> start, C candidate) {
        onThread(() -> {
            becomeActive(new Serving<>(start.version(), start.parsed(), candidate));
            return null;
        }).join();
    }

    /**
     * The stored version that serves (the primary, while a canary runs beside it), as of the last change; read from
     * any thread without waiting, and without the file reads a hash would take.
     */
    public StoredVersion activeVersion() {
        return published;
    }

    private void becomeActive(Serving<P, C> next) {
        active = next;
        published = next.version();
    }

    /**
     * A reload (SIGHUP, {@code POST /config/reload}): the file goes through the same path as
     * {@code config apply}, staged by the active version's rollout policy.
     */
    public CompletionStage<AdminReply> reload(String yaml, String fileName, String actor) {
        return apply(new ApplyRequest(yaml, "reload of " + fileName, actor, false, false),
                new Caller(actor, true, false));
    }

    // ---- the admin API ----

    @Override
    public CompletionStage<AdminReply> diff(String yaml) {
        return onThread(() -> ReleaseDiff.reply(deployment, active.parsed(), active.number(), yaml));
    }

    @Override
    public CompletionStage<AdminReply> apply(ApplyRequest request, Caller caller) {
        return onThread(() -> checkApply(request, caller)).thenCompose(checked -> {
            if (checked.reply() != null) {
                return CompletableFuture.completedFuture(checked.reply());
            }
            return CompletableFuture.supplyAsync(() -> Preflight.run(checked.probes()), probing)
                    .thenComposeAsync(failures -> onThread(() -> release(request, caller, checked, failures)),
                            thread);
        });
    }

    private record Checked<P>(AdminReply reply, P parsed, String hash, List<String> guard, List<Probe> probes) {}

    private Checked<P> checkApply(ApplyRequest request, Caller caller) {
        Instant now = clock.instant();
        P next;
        try {
            next = deployment.parse(request.yaml());
        } catch (ConfigException e) {
            audit(now, caller, "config.apply.refused", OptionalLong.empty(),
                    "invalid: " + String.join("; ", e.errors()));
            return new Checked<>(ReleaseJson.errors(422, e.errors()), null, null, null, null);
        }
        if (rollout != null) {
            audit(now, caller, "config.apply.refused", OptionalLong.empty(),
                    "version " + rollout.canary.number() + " is rolling out");
            return new Checked<>(ReleaseJson.error(409, "rollout_in_progress", "Version " + rollout.canary.number()
                    + " is rolling out; promote, abort or wait for it before releasing another."), null, null,
                    null, null);
        }
        String hash = deployment.hash(next);
        if (hash.equals(active.version().hash())) {
            ObjectNode o = ReleaseJson.version(active.version());
            o.put("unchanged", true);
            return new Checked<>(ReleaseJson.ok(o), null, null, null, null);
        }
        List<String> restart = deployment.restartOnly(next);
        if (!restart.isEmpty()) {
            audit(now, caller, "config.apply.refused", OptionalLong.empty(), String.join("; ", restart));
            return new Checked<>(ReleaseJson.errors(422, restart), null, null, null, null);
        }
        return new Checked<>(null, next, hash, deployment.guard(next), deployment.probes(next));
    }

    private AdminReply release(ApplyRequest request, Caller caller, Checked<P> checked, List<ProbeFailure> probed) {
        Instant now = clock.instant();
        if (rollout != null) {
            return ReleaseJson.error(409, "rollout_in_progress", "Version " + rollout.canary.number()
                    + " started rolling out meanwhile.");
        }
        List<String> reasons = new ArrayList<>(checked.guard());
        probed.forEach(f -> reasons.add(f.message()));
        String author = request.author() == null || request.author().isBlank() ? caller.describe()
                : request.author();
        String message = request.message() == null ? "" : request.message();
        OptionalLong parent = OptionalLong.of(active.number());
        if (!reasons.isEmpty() && !request.force()) {
            StoredVersion rejected = store.addVersion(new NewVersion(checked.hash(), parent, author, message, now,
                            request.yaml(), VersionState.REJECTED, reasons),
                    new Audit(now, caller.describe(), "config.apply.rejected", OptionalLong.empty(),
                            "pre-flight: " + String.join("; ", reasons)));
            log.warn("config version {} rejected at pre-flight:\n  {}", rejected.number(),
                    String.join("\n  ", reasons));
            AdminReply reply = ReleaseJson.errors(422, reasons);
            ((ObjectNode) reply.body()).put("version", rejected.number());
            return reply;
        }
        String forced = reasons.isEmpty() ? "" : "; forced past pre-flight: " + String.join("; ", reasons);
        RolloutPolicy policy = deployment.rollout(active.parsed());
        boolean direct = request.direct() || policy.judgedSteps() == 0;
        StoredVersion added = store.addVersion(new NewVersion(checked.hash(), parent, author, message, now,
                        request.yaml(), VersionState.CANARY, reasons),
                new Audit(now, caller.describe(), "config.apply", OptionalLong.empty(),
                        (direct ? "direct" : "staged") + ": " + message + forced));
        C candidate;
        try {
            candidate = deployment.prepare(checked.parsed(), added.number());
        } catch (RuntimeException e) {
            log.warn("config version {} could not be prepared", added.number(), e);
            store.setStates(List.of(new StateChange(added.number(), VersionState.REJECTED,
                            List.of("could not be prepared: " + e.getMessage()))),
                    new Audit(now, SYSTEM, "config.apply.rejected", OptionalLong.of(added.number()),
                            "could not be prepared: " + e.getMessage()));
            return ReleaseJson.errors(422, List.of("could not be prepared: " + e.getMessage()));
        }
        Serving<P, C> next = new Serving<>(added, checked.parsed(), candidate);
        if (direct) {
            promote(next, caller.describe(), "config.activate", "applied directly" + forced);
            return ReleaseJson.status(201, ReleaseJson.version(active.version()));
        }
        startRollout(next, policy, now);
        ObjectNode o = ReleaseJson.version(store.version(added.number()).orElseThrow());
        o.set("rollout", ReleaseJson.rollout(rollout, last));
        return ReleaseJson.status(201, o);
    }

    @Override
    public CompletionStage<AdminReply> versions() {
        return onThread(() -> ReleaseJson.ok(ReleaseJson.versions(store.versions(1000))));
    }

    @Override
    public CompletionStage<AdminReply> version(long number) {
        return onThread(() -> store.version(number).map(v -> {
            ObjectNode o = ReleaseJson.version(v);
            o.put("yaml", deployment.redactedYaml(v.yaml()));
            return ReleaseJson.ok(o);
        }).orElseGet(() -> ReleaseJson.error(404, "unknown_version", "No version " + number + " is stored.")));
    }

    @Override
    public CompletionStage<AdminReply> rollout() {
        return onThread(() -> ReleaseJson.ok(ReleaseJson.rollout(rollout, last)));
    }

    @Override
    public CompletionStage<AdminReply> rolloutControl(String action, Caller caller) {
        return onThread(() -> {
            Rollout<P, C> r = rollout;
            if (r == null) {
                return ReleaseJson.error(409, "no_rollout", "No rollout is running.");
            }
            Instant now = clock.instant();
            long v = r.canary.number();
            switch (action) {
                case "promote" -> {
                    promoteRollout(r, caller.describe(), "rollout.promote", "promoted by the operator at "
                            + r.describeStep());
                    return ReleaseJson.ok(ReleaseJson.message("active", v, "Version " + v + " serves all traffic."));
                }
                case "pause" -> {
                    r.paused = true;
                    audit(now, caller, "rollout.pause", OptionalLong.of(v), "paused at " + r.describeStep()
                            + "; a regression still rolls it back");
                    return ReleaseJson.ok(ReleaseJson.message("paused", v, "Paused at " + r.describeStep() + "."));
                }
                case "resume" -> {
                    r.paused = false;
                    audit(now, caller, "rollout.resume", OptionalLong.of(v), "resumed at " + r.describeStep());
                    return ReleaseJson.ok(ReleaseJson.message("running", v, "Resumed at " + r.describeStep() + "."));
                }
                case "abort" -> {
                    endRollout(r, caller.describe(), "rollout.abort", "aborted", "aborted by " + caller.describe()
                            + " at " + r.describeStep());
                    return ReleaseJson.ok(ReleaseJson.message("rolled_back", v, "Aborted; version "
                            + r.baseline.number() + " serves all traffic."));
                }
                default -> {
                    return ReleaseJson.error(404, "not_found", "No rollout action " + action + ".");
                }
            }
        });
    }

    @Override
    public CompletionStage<AdminReply> rollback(OptionalLong version, Caller caller) {
        return onThread(() -> doRollback(version, caller));
    }

    private AdminReply doRollback(OptionalLong requested, Caller caller) {
        Instant now = clock.instant();
        Rollout<P, C> r = rollout;
        if (r != null && (requested.isEmpty() || requested.getAsLong() == r.baseline.number())) {
            endRollout(r, caller.describe(), "config.rollback", "rolled_back", "rolled back by "
                    + caller.describe() + " at " + r.describeStep());
            return ReleaseJson.ok(ReleaseJson.message("active", active.number(), "Version " + active.number()
                    + " serves all traffic; version " + r.canary.number() + " is rolled back."));
        }
        long target;
        if (requested.isPresent()) {
            target = requested.getAsLong();
        } else {
            Optional<String> previous = store.setting(PREVIOUS_ACTIVE);
            if (previous.isEmpty()) {
                return ReleaseJson.error(409, "no_previous_version", "No version was active before version "
                        + active.number() + "; name one: config rollback N.");
            }
            target = Long.parseLong(previous.get());
        }
        Optional<StoredVersion> stored = store.version(target);
        if (stored.isEmpty()) {
            audit(now, caller, "config.rollback.refused", OptionalLong.of(target), "unknown version");
            return ReleaseJson.error(404, "unknown_version", "No version " + target + " is stored.");
        }
        if (r == null && target == active.number()) {
            return ReleaseJson.ok(ReleaseJson.message("active", target, "Version " + target + " is already active."));
        }
        P parsed;
        try {
            parsed = deployment.parse(stored.get().yaml());
        } catch (ConfigException e) {
            audit(now, caller, "config.rollback.refused", OptionalLong.of(target),
                    "no longer valid: " + String.join("; ", e.errors()));
            return ReleaseJson.errors(422, e.errors());
        }
        List<String> restart = deployment.restartOnly(parsed);
        if (!restart.isEmpty()) {
            audit(now, caller, "config.rollback.refused", OptionalLong.of(target), String.join("; ", restart));
            return ReleaseJson.errors(422, restart);
        }
        if (r != null) {
            endRollout(r, caller.describe(), "config.rollback", "rolled_back", "rolled back by "
                    + caller.describe() + " to version " + target);
        }
        C candidate = deployment.prepare(parsed, target);
        Serving<P, C> from = active;
        deployment.activate(candidate);
        becomeActive(new Serving<>(stored.get(), parsed, candidate));
        store.setStates(List.of(new StateChange(target, VersionState.ACTIVE, List.of()),
                        new StateChange(from.number(), VersionState.ROLLED_BACK, List.of())),
                new Audit(now, caller.describe(), "config.rollback", OptionalLong.of(target),
                        "version " + from.number() + " -> " + target));
        store.putSetting(PREVIOUS_ACTIVE, Long.toString(from.number()));
        becomeActive(active.with(store.version(target).orElseThrow()));
        log.info("config version {} is live again (rolled back from {} by {})", target, from.number(),
                caller.describe());
        return ReleaseJson.ok(ReleaseJson.message("active", target, "Version " + target + " serves all traffic."));
    }

    @Override
    public CompletionStage<AdminReply> audit(Optional<Instant> since, int limit) {
        return onThread(() -> ReleaseJson.ok(ReleaseJson.audit(store.auditSince(since.orElse(Instant.EPOCH),
                limit))));
    }

    @Override
    public void refused(Caller caller, String method, String path, int status, String reason) {
        thread.execute(() -> refusals.record(clock.instant(), caller, method, path, status, reason));
    }

    // ---- the rollout ----

    private void startRollout(Serving<P, C> canary, RolloutPolicy policy, Instant now) {
        CanaryJudge judge = new CanaryJudge(policy.judge(), Long.toString(active.number()),
                Long.toString(canary.number()));
        Rollout<P, C> r = new Rollout<>(active, canary, policy, judge, outcomes.subscribe(judge));
        r.stepStartNanos = ticker.read();
        r.stepStartedAt = now;
        rollout = r;
        deployment.serve(active.candidate(), canary.candidate(), r.share(), policy.splitBy());
        store.audit(new Audit(now, SYSTEM, "rollout.step", OptionalLong.of(canary.number()),
                r.describeStep() + " against version " + active.number()));
        long every = policy.interval().toMillis();
        judging = thread.scheduleAtFixedRate(this::look, every, every, TimeUnit.MILLISECONDS);
        log.info("config version {} is rolling out: {} of requests, judged against version {}", canary.number(),
                RolloutPolicy.percent(r.share()), active.number());
    }

    /** One look of the judge: roll back on a regression (paused or not), else move on when the step has passed. */
    void look() {
        Rollout<P, C> r = rollout;
        if (r == null) {
            return;
        }
        try {
            r.lastVerdict = r.judge.look();
            switch (r.lastVerdict.kind()) {
                case REGRESSED -> regressed(r);
                case HEALTHY -> {
                    long elapsed = ticker.read() - r.stepStartNanos;
                    if (!r.paused && elapsed >= r.policy.stepDuration().toNanos()) {
                        advance(r);
                    }
                }
                case INSUFFICIENT -> { }
            }
        } catch (RuntimeException e) {
            // A look that fails must not end the judging: the next one runs as planned.
            log.warn("rollout look failed", e);
        }
    }

    private void regressed(Rollout<P, C> r) {
        String why = ReleaseJson.describe(r.lastVerdict);
        if (r.policy.autoRollback()) {
            endRollout(r, SYSTEM, "rollout.auto_rollback", "rolled_back", "regression at " + r.describeStep()
                    + ": " + why);
        } else if (!r.paused) {
            r.paused = true;
            store.audit(new Audit(clock.instant(), SYSTEM, "rollout.pause", OptionalLong.of(r.canary.number()),
                    "regression at " + r.describeStep() + " and auto_rollback is off: " + why));
            log.warn("config version {} regressed and auto_rollback is off: paused ({})", r.canary.number(), why);
        }
    }

    private void advance(Rollout<P, C> r) {
        if (r.step + 1 >= r.policy.judgedSteps()) {
            promoteRollout(r, SYSTEM, "rollout.promote", "every step passed: " + ReleaseJson.describe(r.lastVerdict));
            return;
        }
        r.step++;
        r.stepStartNanos = ticker.read();
        r.stepStartedAt = clock.instant();
        r.judge.newStep();
        deployment.serve(r.baseline.candidate(), r.canary.candidate(), r.share(), r.policy.splitBy());
        store.audit(new Audit(r.stepStartedAt, SYSTEM, "rollout.step", OptionalLong.of(r.canary.number()),
                r.describeStep() + "; the step before passed: " + ReleaseJson.describe(r.lastVerdict)));
        log.info("config version {}: {}", r.canary.number(), r.describeStep());
    }

    private void promoteRollout(Rollout<P, C> r, String actor, String action, String detail) {
        stopJudging(r);
        promote(r.canary, actor, action, detail);
        last = new ReleaseJson.Ended(r.canary.number(), "promoted", clock.instant(), detail);
    }

    /** {@code next} becomes the one version that serves; the store says so first, so a crash keeps the promotion. */
    private void promote(Serving<P, C> next, String actor, String action, String detail) {
        Serving<P, C> from = active;
        store.setStates(List.of(new StateChange(next.number(), VersionState.ACTIVE, next.version().reasons()),
                        new StateChange(from.number(), VersionState.SUPERSEDED, List.of())),
                new Audit(clock.instant(), actor, action, OptionalLong.of(next.number()), detail));
        store.putSetting(PREVIOUS_ACTIVE, Long.toString(from.number()));
        deployment.activate(next.candidate());
        becomeActive(next.with(store.version(next.number()).orElseThrow()));
        log.info("config version {} is live (was {}): {}", next.number(), from.number(), detail);
    }

    /** The canary stops serving at once (a pointer flip to the baseline alone), then the store records why. */
    private void endRollout(Rollout<P, C> r, String actor, String action, String outcome, String reason) {
        stopJudging(r);
        deployment.activate(r.baseline.candidate());
        Instant now = clock.instant();
        store.setStates(List.of(new StateChange(r.canary.number(), VersionState.ROLLED_BACK, List.of(reason))),
                new Audit(now, actor, action, OptionalLong.of(r.canary.number()), reason));
        last = new ReleaseJson.Ended(r.canary.number(), outcome, now, reason);
        if ("rolled_back".equals(outcome)) {
            try {
                rolledBack.accept(r.canary.number(), reason);
            } catch (RuntimeException e) {
                log.warn("a rollback listener failed", e);
            }
        }
        log.warn("config version {} {}: {}; version {} serves all traffic", r.canary.number(),
                outcome.replace('_', ' '), reason, r.baseline.number());
    }

    /** Sets who hears of each rollout that ended rolled back: the version and why (on the release thread). */
    public void onRolledBack(java.util.function.BiConsumer<Long, String> listener) {
        this.rolledBack = java.util.Objects.requireNonNull(listener, "listener");
    }

    private void stopJudging(Rollout<P, C> r) {
        if (judging != null) {
            judging.cancel(false);
            judging = null;
        }
        r.subscription.close();
        rollout = null;
    }

    // ---- plumbing ----

    private void audit(Instant at, Caller caller, String action, OptionalLong version, String detail) {
        store.audit(new Audit(at, caller.describe(), action, version, detail));
    }

    private <T> CompletableFuture<T> onThread(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, thread);
    }

    /** Stops judging and the release thread; the versions stay as the store has them (a canary is resumed as interrupted). */
    @Override
    public void close() {
        probing.shutdownNow();
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
