package io.palisade.slo;

import static io.palisade.slo.Outcomes.MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.palisade.error.ErrorKind;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.outcome.Outcome;
import io.palisade.testing.FakeTicker;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The engine's counting and burn-rate math on a fake clock. */
class SloEngineTest {
    static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
    private final FakeTicker ticker = new FakeTicker();
    private final Clock clock = ticker.clock(T0);

    static SloSettings availability(String name, Duration window) {
        return new SloSettings(name, List.of("orders"), 0.999, window, Optional.empty());
    }

    private SloEngine engine(SloSettings... slos) {
        return SloEngine.create(List.of(slos), clock);
    }

    /** {@code minutes} minutes, each with {@code good} 200s and {@code bad} 502s, ticked at its end. */
    private void minutes(SloEngine e, int minutes, int good, int bad) {
        for (int i = 0; i < minutes; i++) {
            ticker.advance(Duration.ofSeconds(30));
            Outcomes.send(e, "orders", good, bad);
            e.tick();
            ticker.advance(Duration.ofSeconds(30));
        }
    }

    private static WindowFigures figures(BurnWindow w, long total, long bad) {
        return new WindowFigures(w.label(), w.nominal(), total - bad, total);
    }

    /** A 99.9% SLO whose windows hold the given [total, bad]; others quiet with plenty of requests. */
    private static SloStatus status(Map<BurnWindow, long[]> given) {
        EnumMap<BurnWindow, WindowFigures> windows = new EnumMap<>(BurnWindow.class);
        for (BurnWindow w : BurnWindow.values()) {
            long[] tb = given.getOrDefault(w, new long[] {100_000, 0});
            windows.put(w, figures(w, tb[0], tb[1]));
        }
        return new SloStatus(availability("s", Duration.ofDays(30)), T0, windows,
                new WindowFigures("slo", Duration.ofDays(30), 1_000_000, 1_000_000));
    }

    @Test
    void classify_badIsTheGatewaysFailure_theClientsShareAndSheddingAreNotCounted() {
        assertThat(SloEngine.classify(Outcomes.ok("r"))).isEqualTo(SloEngine.GOOD);
        assertThat(SloEngine.classify(Outcomes.status("r", 304))).isEqualTo(SloEngine.GOOD);
        for (int bad : new int[] {500, 502, 503, 504, 507, 505, 599}) {
            assertThat(SloEngine.classify(Outcomes.status("r", bad))).as("%s", bad).isEqualTo(SloEngine.BAD);
        }
        for (ErrorKind kind : List.of(ErrorKind.AUTH_UNAVAILABLE, ErrorKind.UPSTREAM_TIMEOUT,
                ErrorKind.NO_HEALTHY_UPSTREAM, ErrorKind.UPSTREAM_OVERLOADED, ErrorKind.INGEST_FULL,
                ErrorKind.INTERNAL)) {
            assertThat(SloEngine.classify(Outcomes.error("r", kind))).as("%s", kind).isEqualTo(SloEngine.BAD);
        }
        for (int client : new int[] {400, 401, 403, 404, 408, 413, 429, 501}) {
            assertThat(SloEngine.classify(Outcomes.status("r", client))).as("%s", client)
                    .isEqualTo(SloEngine.IGNORED);
        }
        assertThat(SloEngine.classify(Outcomes.error("r", ErrorKind.RATE_LIMITED))).isEqualTo(SloEngine.IGNORED);
        assertThat(SloEngine.classify(Outcomes.error("r", ErrorKind.LOAD_SHED))).isEqualTo(SloEngine.IGNORED);
        assertThat(SloEngine.classify(Outcomes.error("r", ErrorKind.UNSUPPORTED_TRANSFER_CODING)))
                .isEqualTo(SloEngine.IGNORED);
        assertThat(SloEngine.classify(Outcomes.of("r", "", 200, Outcome.Ending.CUT,
                Outcome.errorOf(ErrorKind.UPSTREAM_RESET), 5 * MS))).isEqualTo(SloEngine.BAD);
        assertThat(SloEngine.classify(Outcomes.of("r", "", 0, Outcome.Ending.CLIENT_GONE, Optional.empty(), 5 * MS)))
                .isEqualTo(SloEngine.GONE);
    }

    @Test
    void windows_scaleWithTheSloWindow_asPyrraDoes() {
        Duration thirty = Duration.ofDays(30);
        for (BurnWindow w : BurnWindow.values()) {
            assertThat(w.scaled(thirty)).as(w.label()).isEqualTo(w.nominal());
        }
        Duration drill = Duration.ofHours(6); // 120 times shorter
        assertThat(BurnWindow.M5.scaled(drill)).isEqualTo(Duration.ofMillis(2500));
        assertThat(BurnWindow.M30.scaled(drill)).isEqualTo(Duration.ofSeconds(15));
        assertThat(BurnWindow.H1.scaled(drill)).isEqualTo(Duration.ofSeconds(30));
        assertThat(BurnWindow.H6.scaled(drill)).isEqualTo(Duration.ofMinutes(3));
        assertThat(BurnWindow.D1.scaled(drill)).isEqualTo(Duration.ofMinutes(12));
        assertThat(BurnWindow.D3.scaled(drill)).isEqualTo(Duration.ofMinutes(36));
        assertThat(BurnWindow.H1.scaled(Duration.ofDays(90))).isEqualTo(Duration.ofHours(3));
        assertThat(BurnWindow.wholeWindow(drill)).isEqualTo(drill);
        assertThat(BurnWindow.wholeWindow(thirty)).isEqualTo(thirty);
    }

    @Test
    void burnRate_isTheErrorRatioOverTheBudget() {
        SloEngine e = engine(availability("orders", Duration.ofDays(30)));
        minutes(e, 1, 980, 20);

        SloStatus s = e.statuses().get(0);
        assertThat(s.window(BurnWindow.M5)).isEqualTo(new WindowFigures("5m", Duration.ofMinutes(5), 980, 1000));
        assertThat(s.burnRate(BurnWindow.M5).getAsDouble()).isCloseTo(20.0, within(1e-9));
        assertThat(s.burnRate(BurnWindow.D3).getAsDouble()).isCloseTo(20.0, within(1e-9));
        assertThat(s.budgetRemaining().getAsDouble()).isCloseTo(1 - 20.0, within(1e-9));
    }

    @Test
    void theFourRows_eachNeedBothWindowsAboveTheirFactor() {
        // Fast page: 1h and 5m above 14.4.
        assertThat(status(Map.of(BurnWindow.H1, new long[] {1000, 15}, BurnWindow.M5, new long[] {100, 2}))
                .check(BurnRule.PAGE_FAST)).isEqualTo(BurnSignal.BURNING);
        assertThat(status(Map.of(BurnWindow.H1, new long[] {1000, 15}, BurnWindow.M5, new long[] {100, 1}))
                .check(BurnRule.PAGE_FAST)).as("burn stopped: the short window says so").isEqualTo(
                BurnSignal.NOT_BURNING);
        assertThat(status(Map.of(BurnWindow.H1, new long[] {1000, 14}, BurnWindow.M5, new long[] {100, 100}))
                .check(BurnRule.PAGE_FAST)).as("a blip: the long window is not convinced")
                .isEqualTo(BurnSignal.NOT_BURNING);
        assertThat(status(Map.of(BurnWindow.H1, new long[] {10000, 144}, BurnWindow.M5, new long[] {1000, 15}))
                .check(BurnRule.PAGE_FAST)).as("exactly 14.4 is not above it").isEqualTo(BurnSignal.NOT_BURNING);
        // Slow page: 6h and 30m above 6.
        SloStatus slow = status(Map.of(BurnWindow.H6, new long[] {1000, 7}, BurnWindow.M30, new long[] {1000, 7}));
        assertThat(slow.check(BurnRule.PAGE_SLOW)).isEqualTo(BurnSignal.BURNING);
        assertThat(slow.check(BurnRule.PAGE_FAST)).isEqualTo(BurnSignal.NOT_BURNING);
        assertThat(slow.page()).isEqualTo(BurnSignal.BURNING);
        // Tickets: 1d and 2h above 3; 3d and 6h above 1.
        SloStatus ticketFast = status(Map.of(BurnWindow.D1, new long[] {1000, 4}, BurnWindow.H2,
                new long[] {1000, 4}));
        assertThat(ticketFast.check(BurnRule.TICKET_FAST)).isEqualTo(BurnSignal.BURNING);
        assertThat(ticketFast.page()).isEqualTo(BurnSignal.NOT_BURNING);
        assertThat(ticketFast.ticket()).isEqualTo(BurnSignal.BURNING);
        SloStatus ticketSlow = status(Map.of(BurnWindow.D3, new long[] {10000, 11}, BurnWindow.H6,
                new long[] {10000, 11}));
        assertThat(ticketSlow.check(BurnRule.TICKET_SLOW)).isEqualTo(BurnSignal.BURNING);
        assertThat(ticketSlow.check(BurnRule.TICKET_FAST)).isEqualTo(BurnSignal.NOT_BURNING);
        assertThat(ticketSlow.ticket()).isEqualTo(BurnSignal.BURNING);
        assertThat(status(Map.of()).page()).isEqualTo(BurnSignal.NOT_BURNING);
        assertThat(status(Map.of()).ticket()).isEqualTo(BurnSignal.NOT_BURNING);
    }

    @Test
    void tooFewEvents_isNoSignal_neitherAnAlertNorAPass() {
        assertThat(new WindowFigures("5m", Duration.ofMinutes(5), 0, 0).burnRate(0.001)).isEmpty();
        // 19 requests, all bad: no signal; the 20th makes it a burn.
        SloStatus nineteen = status(Map.of(BurnWindow.H1, new long[] {19, 19}, BurnWindow.M5, new long[] {19, 19},
                BurnWindow.H6, new long[] {19, 19}, BurnWindow.M30, new long[] {19, 19}));
        assertThat(nineteen.burnRate(BurnWindow.M5)).isEmpty();
        assertThat(nineteen.page()).isEqualTo(BurnSignal.NO_SIGNAL);
        SloStatus twenty = status(Map.of(BurnWindow.H1, new long[] {20, 20}, BurnWindow.M5, new long[] {20, 20}));
        assertThat(twenty.page()).isEqualTo(BurnSignal.BURNING);
        // 0 of 0 in the short window: the long window burning alone is still no page, and no pass either.
        SloStatus quiet = status(Map.of(BurnWindow.H1, new long[] {1000, 500}, BurnWindow.M5, new long[] {0, 0},
                BurnWindow.H6, new long[] {1000, 500}, BurnWindow.M30, new long[] {0, 0}));
        assertThat(quiet.page()).isEqualTo(BurnSignal.NO_SIGNAL);
        // But a known-quiet window settles it: a pass needs no burning row and no unknown one.
        SloStatus settled = status(Map.of(BurnWindow.H1, new long[] {1000, 0}, BurnWindow.M5, new long[] {0, 0}));
        assertThat(settled.page()).isEqualTo(BurnSignal.NOT_BURNING);

        SloEngine e = engine(availability("orders", Duration.ofDays(30)));
        assertThat(e.statuses().get(0).budgetRemaining()).isEmpty();
        assertThat(e.statuses().get(0).page()).isEqualTo(BurnSignal.NO_SIGNAL);
        assertThat(e.statuses().get(0).ticket()).isEqualTo(BurnSignal.NO_SIGNAL);
        minutes(e, 1, 0, SloEngine.MIN_EVENTS - 1);
        assertThat(e.statuses().get(0).page()).isEqualTo(BurnSignal.NO_SIGNAL);
        assertThat(e.statuses().get(0).budgetRemaining()).isEmpty();
        minutes(e, 1, 0, 1);
        assertThat(e.statuses().get(0).page()).isEqualTo(BurnSignal.BURNING);
    }

    @Test
    void engine_fastBurn_pagesWhileBothWindowsBurn_andStopsWithTheShortWindow() {
        SloEngine e = engine(availability("orders", Duration.ofDays(30)));
        minutes(e, 60, 1000, 0);
        assertThat(e.statuses().get(0).page()).isEqualTo(BurnSignal.NOT_BURNING);

        // 20% bad: 200x the budget. The 1h window passes 14.4 once about 0.0144 * 60 / 0.2 = 4.3 minutes burned.
        minutes(e, 4, 800, 200);
        assertThat(e.statuses().get(0).check(BurnRule.PAGE_FAST)).isEqualTo(BurnSignal.NOT_BURNING);
        minutes(e, 1, 800, 200);
        SloStatus burning = e.statuses().get(0);
        assertThat(burning.burnRate(BurnWindow.H1).getAsDouble()).isCloseTo(1000.0 / 60000 / 0.001, within(1e-6));
        assertThat(burning.check(BurnRule.PAGE_FAST)).isEqualTo(BurnSignal.BURNING);
        assertThat(burning.page()).isEqualTo(BurnSignal.BURNING);

        // Recovery: once the 5m window is clean, the fast row stops although the 1h window still burns.
        minutes(e, 5, 1000, 0);
        SloStatus after = e.statuses().get(0);
        assertThat(after.burnRate(BurnWindow.H1).getAsDouble()).isGreaterThan(14.4);
        assertThat(after.burnRate(BurnWindow.M5).getAsDouble()).isZero();
        assertThat(after.check(BurnRule.PAGE_FAST)).isEqualTo(BurnSignal.NOT_BURNING);
        assertThat(after.check(BurnRule.PAGE_SLOW)).isEqualTo(BurnSignal.BURNING); // 30m still holds 1000 bad
        minutes(e, 25, 1000, 0);
        assertThat(e.statuses().get(0).page()).isEqualTo(BurnSignal.NOT_BURNING);
        assertThat(e.statuses().get(0).ticket()).isEqualTo(BurnSignal.BURNING); // 1d and 2h still above 3
    }

    @Test
    void budgetRemaining_spansTheWholeSloWindow() {
        SloEngine e = engine(availability("orders", Duration.ofDays(30)));
        minutes(e, 1, 99_950, 50);
        assertThat(e.statuses().get(0).budgetRemaining().getAsDouble()).isCloseTo(0.5, within(1e-9));
        ticker.advance(Duration.ofDays(29));
        minutes(e, 1, 100_000, 0);
        assertThat(e.statuses().get(0).budgetRemaining().getAsDouble()).isCloseTo(0.75, within(1e-9));
        assertThat(e.statuses().get(0).whole().length()).isEqualTo(Duration.ofDays(30));
        ticker.advance(Duration.ofDays(1));
        minutes(e, 1, 0, 0);
        assertThat(e.statuses().get(0).whole().total()).as("the first minute left the window").isEqualTo(100_000);
        assertThat(e.statuses().get(0).budgetRemaining().getAsDouble()).isCloseTo(1.0, within(1e-9));
        minutes(e, 1, 99_800, 200);
        assertThat(e.statuses().get(0).budgetRemaining().getAsDouble()).isCloseTo(0.0, within(1e-9));
        minutes(e, 1, 99_800, 200);
        assertThat(e.statuses().get(0).budgetRemaining().getAsDouble()).as("overspent")
                .isCloseTo(-1.0 / 3, within(1e-9));
    }

    @Test
    void latencySlo_goodIsAnsweredWithinTheThreshold_andAClientThatWaitedLongerIsBad() {
        SloSettings latency = new SloSettings("fast", List.of("orders"), 0.99, Duration.ofDays(30),
                Optional.of(Duration.ofMillis(300)));
        SloEngine e = engine(latency, availability("up", Duration.ofDays(30)));
        e.onOutcome(Outcomes.of("orders", "", 200, Outcome.Ending.ANSWERED, Optional.empty(), 300 * MS));
        e.onOutcome(Outcomes.of("orders", "", 200, Outcome.Ending.ANSWERED, Optional.empty(), 301 * MS));
        e.onOutcome(Outcomes.of("orders", "", 0, Outcome.Ending.CLIENT_GONE, Optional.empty(), 500 * MS));
        e.onOutcome(Outcomes.of("orders", "", 0, Outcome.Ending.CLIENT_GONE, Optional.empty(), 100 * MS));
        e.onOutcome(Outcomes.of("orders", "", 404, Outcome.Ending.ANSWERED, Optional.empty(), 900 * MS));
        e.onOutcome(Outcomes.of("orders", "", 502, Outcome.Ending.ANSWERED, Optional.empty(), 1 * MS));
        e.onOutcome(Outcomes.ok("elsewhere"));
        e.tick();

        assertThat(e.status("fast").orElseThrow().window(BurnWindow.M5))
                .isEqualTo(new WindowFigures("5m", Duration.ofMinutes(5), 1, 4));
        assertThat(e.status("up").orElseThrow().window(BurnWindow.M5))
                .isEqualTo(new WindowFigures("5m", Duration.ofMinutes(5), 2, 3));
    }

    @Test
    void history_keeps90UtcDays_oldestFirst() {
        SloEngine e = engine(availability("orders", Duration.ofDays(30)));
        minutes(e, 1, 90, 10);
        ticker.advance(Duration.ofDays(1));
        minutes(e, 1, 50, 0);

        List<DayFigures> days = e.history("orders");
        assertThat(days).hasSize(SloEngine.HISTORY_DAYS);
        assertThat(days.get(89)).isEqualTo(new DayFigures(LocalDate.of(2026, 3, 2), 50, 50));
        assertThat(days.get(88)).isEqualTo(new DayFigures(LocalDate.of(2026, 3, 1), 90, 100));
        assertThat(days.get(88).goodRatio().getAsDouble()).isCloseTo(0.9, within(1e-9));
        assertThat(days.get(0).day()).isEqualTo(LocalDate.of(2026, 3, 2).minusDays(89));
        assertThat(days.get(0).goodRatio()).as("no data is not 100%").isEmpty();
        assertThat(e.history("nope")).isEmpty();

        ticker.advance(Duration.ofDays(89));
        minutes(e, 1, 1, 0);
        assertThat(e.history("orders").get(0)).isEqualTo(new DayFigures(LocalDate.of(2026, 3, 2), 50, 50));
    }

    @Test
    void update_keepsCountersOfAnUnchangedWindow_restartsThoseOfANewOne_keepsTheHistory() {
        SloEngine e = engine(availability("a", Duration.ofDays(30)), availability("b", Duration.ofDays(30)));
        minutes(e, 1, 90, 10);
        Outcomes.send(e, "orders", 1, 0); // not ticked yet when the update comes
        e.update(List.of(new SloSettings("a", List.of("orders"), 0.99, Duration.ofDays(30), Optional.empty()),
                availability("b", Duration.ofDays(7)), availability("c", Duration.ofDays(30))));
        e.tick();

        assertThat(e.statuses()).extracting(SloStatus::name).containsExactly("a", "b", "c");
        assertThat(e.status("a").orElseThrow().whole().total()).isEqualTo(101);
        assertThat(e.status("a").orElseThrow().settings().objective()).isEqualTo(0.99);
        assertThat(e.status("b").orElseThrow().whole().total()).isZero();
        assertThat(e.history("b").get(89).total()).isEqualTo(101);
        assertThat(e.status("c").orElseThrow().whole().total()).isZero();
        Outcomes.send(e, "orders", 5, 0);
        e.tick();
        assertThat(e.status("b").orElseThrow().whole().total()).isEqualTo(5);
        assertThat(e.slos()).extracting(SloSettings::name).containsExactly("a", "b", "c");
    }

    @Test
    void aClockSteppingBack_countsIntoTheLatestBucket() {
        FakeTicker t = new FakeTicker();
        Instant[] now = {T0.plusSeconds(3600)};
        Clock stepping = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0].plusNanos(t.read());
            }
        };
        SloEngine e = SloEngine.create(List.of(availability("orders", Duration.ofDays(30))), stepping);
        Outcomes.send(e, "orders", 10, 0);
        e.tick();
        now[0] = T0; // an hour back
        Outcomes.send(e, "orders", 10, 0);
        e.tick();
        assertThat(e.statuses().get(0).window(BurnWindow.M5).total()).isEqualTo(20);
        assertThat(e.statuses().get(0).at()).isEqualTo(T0.plusSeconds(3600));
    }

    @Test
    void metrics_exportBurnRatesBudgetsAndCounts() {
        SloEngine e = engine(availability("orders", Duration.ofHours(6)));
        GatewayMetrics metrics = new GatewayMetrics();
        e.register(metrics);
        Outcomes.send(e, "orders", 95, 5);
        e.tick();

        String text = metrics.scrape();
        assertThat(text).contains("palisade_slo_burn_rate{slo=\"orders\",window=\"5m\"} 50.0",
                "palisade_slo_error_budget_remaining{slo=\"orders\"} -49.0",
                "palisade_slo_objective{slo=\"orders\"} 0.999",
                "palisade_slo_window_seconds{slo=\"orders\",window=\"5m\"} 2.5",
                "palisade_slo_window_seconds{slo=\"orders\",window=\"slo\"} 21600.0",
                "palisade_slo_window_requests{slo=\"orders\",window=\"1h\"} 100.0",
                "palisade_slo_requests_total{result=\"bad\",slo=\"orders\"} 5.0");
        SloEngine quiet = engine(availability("idle", Duration.ofHours(6)));
        GatewayMetrics none = new GatewayMetrics();
        quiet.register(none);
        assertThat(none.scrape()).doesNotContain("palisade_slo_burn_rate{")
                .doesNotContain("palisade_slo_error_budget_remaining{");
    }

    @Test
    void twoSlosOfOneName_wouldMixTheirCounts_andAreRefused() {
        SloSettings a = availability("a", Duration.ofDays(30));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine(a, a))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("two SLOs named a");
        SloEngine e = engine(a);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.update(List.of(a, a)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(e.slos()).containsExactly(a);
    }

    @Test
    void theTickPeriod_followsTheFinestBucket() {
        assertThat(engine(availability("a", Duration.ofDays(30))).tickMillis()).isEqualTo(1000);
        assertThat(engine(availability("a", Duration.ofHours(6))).tickMillis()).isEqualTo(500);
        assertThat(engine(availability("a", Duration.ofHours(1))).tickMillis()).isEqualTo(100);
    }

    @Test
    void onOutcome_allocatesNothing() {
        SloEngine e = engine(availability("a", Duration.ofDays(30)), new SloSettings("b", List.of("orders"), 0.99,
                Duration.ofDays(30), Optional.of(Duration.ofMillis(300))));
        Outcome ok = Outcomes.ok("orders");
        Outcome bad = Outcomes.status("orders", 502);
        Outcome other = Outcomes.ok("unrouted");
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            e.onOutcome(ok);
            e.onOutcome(bad);
            e.onOutcome(other);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            e.onOutcome(ok);
            e.onOutcome(bad);
            e.onOutcome(other);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by 300,000 outcomes").isLessThan(64 * 1024);
    }
}
