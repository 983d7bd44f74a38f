package io.palisade.canary;

import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomeSubscriber;
import java.util.Locale;
import java.util.Objects;

/**
 * Compares a canary config version with the baseline serving beside it, over the same window, and says whether the
 * canary regressed: in its failure rate (5xx or cut responses, in percentage points over the baseline's) or in its p99
 * latency (relative, with an absolute floor). Subscribe it to the gateway's outcomes; the release manager calls
 * {@link #look()} every {@link JudgeSettings#interval()} and {@link #newStep()} when the split changes.
 *
 * <pre>{@code
 * CanaryJudge judge = new CanaryJudge(JudgeSettings.defaults(), "6", "7");
 * OutcomePublisher.Subscription s = outcomes.subscribe(judge);
 * ...                                   // every 5 s, off the event loops:
 * Verdict v = judge.look();
 * switch (v.kind()) {
 *     case REGRESSED -> rollBack(v.reason());
 *     case HEALTHY -> { judge.newStep(); nextStep(); }
 *     case INSUFFICIENT -> { }          // hold: never promote on too little data
 * }
 * }</pre>
 *
 * <p>Each look is an exact test at a share of {@code 1 - confidence} ({@link AlphaSpending}): over the whole rollout,
 * however many looks it takes, a canary no worse than allowed is rolled back with chance at most
 * {@code 1 - confidence}, and in practice far less, since every bound errs towards the canary. A rollback needs no
 * minimum of requests, only significance: a canary whose every request fails is rolled back on its first few.
 *
 * <p>Counted: every request of either version that ended, except those whose client left first
 * ({@link Outcome.Ending#CLIENT_GONE}): they say nothing about the version. A failure is what the client saw fail: any
 * 5xx, the gateway's own or the upstream's, or a response cut mid-way; a 4xx is the client's fault. Outcomes of other
 * versions are ignored.
 *
 * <p>{@link #onOutcome} runs on every event loop at once: it takes no lock and never waits. {@link #look()},
 * {@link #figures()} and {@link #newStep()} may be called from any thread; they take a lock of their own that
 * {@code onOutcome} never does.
 */
public final class CanaryJudge implements OutcomeSubscriber {
    private final JudgeSettings settings;
    private final String baselineVersion;
    private final String canaryVersion;
    private final AlphaSpending spending;
    private final Object reader = new Object();
    private volatile Window window = new Window();
    private long looks; // guarded by reader

    public CanaryJudge(JudgeSettings settings, String baselineVersion, String canaryVersion) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.baselineVersion = Objects.requireNonNull(baselineVersion, "baselineVersion");
        this.canaryVersion = Objects.requireNonNull(canaryVersion, "canaryVersion");
        if (baselineVersion.equals(canaryVersion)) {
            throw new IllegalArgumentException("canary version " + canaryVersion + " is the baseline's");
        }
        this.spending = new AlphaSpending(settings.alpha(), settings.maxLooks());
    }

    /** Two sides of one step; replaced whole by {@link #newStep()}, so the writers need no reset protocol. */
    private record Window(SideWindow baseline, SideWindow canary) {
        Window() {
            this(new SideWindow(), new SideWindow());
        }
    }

    @Override
    public void onOutcome(Outcome o) {
        if (o.ending() == Outcome.Ending.CLIENT_GONE) {
            return;
        }
        Window w = window;
        String version = o.configVersion();
        SideWindow side;
        if (version.equals(canaryVersion)) {
            side = w.canary();
        } else if (version.equals(baselineVersion)) {
            side = w.baseline();
        } else {
            return;
        }
        side.record(isFailure(o), o.totalNanos());
    }

    /** A 5xx (upstream or gateway: auth-unavailable is a 503) or a response cut mid-way. */
    static boolean isFailure(Outcome o) {
        if (o.ending() == Outcome.Ending.CUT || o.status() >= 500) {
            return true;
        }
        // Without a status sent, the gateway's error still says what the client would have seen.
        return o.status() == 0 && o.error().isPresent() && o.error().get().status().code() >= 500;
    }

    /**
     * A new rollout step begins: both windows restart, so they stay comparable. The looks already taken stay spent.
     * An outcome being recorded at that very moment may land in the old window and be lost: one request at a boundary.
     */
    public void newStep() {
        synchronized (reader) {
            window = new Window();
        }
    }

    /** One evaluation (one "look"); spends this look's share of alpha. Thread-safe with respect to onOutcome. */
    public Verdict look() {
        synchronized (reader) {
            long look = ++looks;
            double alpha = spending.forLook(look);
            Window w = window;
            SideWindow.Sample baseline = w.baseline().read();
            SideWindow.Sample canary = w.canary().read();
            // Half of the look's alpha for each kind of regression, so that either one fires falsely at most alpha.
            Finding errors = ErrorRateEvidence.judge(baseline, canary, settings.maxErrorRateIncrease(), alpha / 2);
            Finding latency = LatencyEvidence.judge(baseline.latencyMicros(), canary.latencyMicros(),
                    settings.maxP99Increase(), alpha / 2);
            Figures figures = figures(baseline, canary);
            String head = String.format(Locale.ROOT, "look %d (alpha %.3g): ", look, alpha);
            if (errors.regressed() || latency.regressed()) {
                String why = errors.regressed() && latency.regressed() ? errors.reason() + "; " + latency.reason()
                        : errors.regressed() ? errors.reason() : latency.reason();
                return new Verdict(Verdict.Kind.REGRESSED, head + why, figures);
            }
            String both = errors.reason() + "; " + latency.reason();
            if (canary.requests() >= settings.minRequests()) {
                return new Verdict(Verdict.Kind.HEALTHY, head + "no regression; " + both, figures);
            }
            return new Verdict(Verdict.Kind.INSUFFICIENT, head + String.format(Locale.ROOT,
                    "no regression yet, %d of %d canary requests; ", canary.requests(), settings.minRequests()) + both,
                    figures);
        }
    }

    /** Current figures without spending a look (for {@code GET /config/rollout}). */
    public Figures figures() {
        synchronized (reader) {
            Window w = window;
            return figures(w.baseline().read(), w.canary().read());
        }
    }

    private Figures figures(SideWindow.Sample baseline, SideWindow.Sample canary) {
        return new Figures(baseline.side(baselineVersion), canary.side(canaryVersion));
    }
}
