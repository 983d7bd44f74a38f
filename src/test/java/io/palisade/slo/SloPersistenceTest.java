package io.palisade.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.store.SloBucket;
import io.palisade.store.SloBucketRange;
import io.palisade.store.StateStore;
import io.palisade.testing.FakeTicker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Window counters and the 90-day history survive a restart: run by {@link SqliteSloPersistenceTest} on a SQLite file
 * and by {@link PostgresSloPersistenceTest} on a real PostgreSQL server. A "restart" is a new store and a new engine
 * on the same storage.
 */
abstract class SloPersistenceTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    final FakeTicker ticker = new FakeTicker();
    final Clock clock = ticker.clock(T0);
    private final List<AutoCloseable> opened = new ArrayList<>();

    abstract void freshStorage();

    abstract StateStore openStorage();

    @BeforeEach
    void fresh() {
        freshStorage();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    StateStore store() {
        StateStore s = openStorage();
        opened.add(s);
        return s;
    }

    static SloSettings slo(String name, Duration window) {
        return new SloSettings(name, List.of("orders"), 0.999, window, Optional.empty());
    }

    /** {@code minutes} minutes with {@code good} and {@code bad} requests each, ticked. */
    void minutes(SloEngine e, int minutes, int good, int bad) {
        for (int i = 0; i < minutes; i++) {
            ticker.advance(Duration.ofSeconds(30));
            Outcomes.send(e, "orders", good, bad);
            e.tick();
            ticker.advance(Duration.ofSeconds(30));
        }
    }

    @Test
    void windowsBudgetAndHistory_surviveARestart() {
        List<SloSettings> slos = List.of(slo("orders", Duration.ofDays(30)), slo("drill", Duration.ofHours(6)));
        SloEngine first = SloEngine.create(slos, clock, store(), "gw-1");
        first.load(); // what its thread does first; until then it writes nothing over the stored counts
        minutes(first, 3, 900, 100);
        ticker.advance(Duration.ofDays(1));
        minutes(first, 2, 1000, 0);
        first.close(); // a last tick and save
        List<SloStatus> before = first.statuses();
        List<DayFigures> historyBefore = first.history("orders");

        SloEngine second = SloEngine.create(slos, clock, store(), "gw-1");
        second.load();
        second.tick();
        for (int i = 0; i < slos.size(); i++) {
            assertThat(second.statuses().get(i).windows()).isEqualTo(before.get(i).windows());
            assertThat(second.statuses().get(i).whole()).isEqualTo(before.get(i).whole());
        }
        assertThat(second.status("orders").orElseThrow().whole().total()).isEqualTo(5000);
        assertThat(second.status("orders").orElseThrow().budgetRemaining().getAsDouble()).isCloseTo(1 - 300 / 5.0,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(second.status("drill").orElseThrow().window(BurnWindow.H6).total()).isEqualTo(2000);
        assertThat(second.history("orders")).isEqualTo(historyBefore);
        assertThat(second.history("orders").get(88).total()).isEqualTo(3000);
        assertThat(second.history("drill").get(89).total()).isEqualTo(2000);

        // Counting goes on from there, and a second restart has both parts.
        minutes(second, 1, 1000, 0);
        second.save();
        SloEngine third = SloEngine.create(slos, clock, store(), "gw-1");
        third.load();
        third.tick();
        assertThat(third.status("orders").orElseThrow().whole().total()).isEqualTo(6000);
        assertThat(third.history("orders").get(89).total()).isEqualTo(3000);
    }

    @Test
    void aRestart_losesAtMostWhatCameAfterTheLastSave() {
        List<SloSettings> slos = List.of(slo("orders", Duration.ofDays(30)));
        SloEngine first = SloEngine.create(slos, clock, store(), "gw-1");
        first.load(); // what its thread does first; until then it writes nothing over the stored counts
        minutes(first, 1, 100, 0);
        first.save();
        minutes(first, 1, 50, 0); // ticked but never saved: as if killed here

        SloEngine second = SloEngine.create(slos, clock, store(), "gw-1");
        second.load();
        second.tick();
        assertThat(second.statuses().get(0).whole().total()).isEqualTo(100);
    }

    @Test
    void countsFromBeforeTheLoad_areKept_andSavedWithTheStoredOnes() {
        List<SloSettings> slos = List.of(slo("orders", Duration.ofDays(30)));
        SloEngine first = SloEngine.create(slos, clock, store(), "gw-1");
        first.load(); // what its thread does first; until then it writes nothing over the stored counts
        minutes(first, 1, 100, 0);
        first.close();

        SloEngine second = SloEngine.create(slos, clock, store(), "gw-1");
        Outcomes.send(second, "orders", 7, 0);
        second.tick(); // before the stored buckets are in
        second.save(); // not loaded: nothing is written over the stored counts
        second.load();
        second.tick();
        assertThat(second.statuses().get(0).whole().total()).isEqualTo(107);
        second.close();

        SloEngine third = SloEngine.create(slos, clock, store(), "gw-1");
        third.load();
        third.tick();
        assertThat(third.statuses().get(0).whole().total()).isEqualTo(107);
    }

    @Test
    void gatewaysSharingAStore_keepTheirOwnCounts() {
        List<SloSettings> slos = List.of(slo("orders", Duration.ofDays(30)));
        SloEngine a = SloEngine.create(slos, clock, store(), "gw-a");
        SloEngine b = SloEngine.create(slos, clock, store(), "gw-b");
        a.load();
        b.load();
        minutes(a, 1, 100, 0);
        Outcomes.send(b, "orders", 30, 0);
        b.tick();
        a.close();
        b.close();

        SloEngine a2 = SloEngine.create(slos, clock, store(), "gw-a");
        a2.load();
        a2.tick();
        assertThat(a2.statuses().get(0).whole().total()).isEqualTo(100);
    }

    @Test
    void bucketsNoWindowNeeds_areDeleted() {
        List<SloSettings> slos = List.of(slo("drill", Duration.ofHours(6)));
        StateStore store = store();
        SloEngine e = SloEngine.create(slos, clock, store, "gw-1");
        e.load();
        minutes(e, 1, 100, 0);
        e.save();
        long fine = BurnWindow.fineWidthMillis(Duration.ofHours(6));
        assertThat(store.sloBuckets("gw-1", "drill")).filteredOn(b -> b.widthMillis() == fine).hasSize(1);
        ticker.advance(Duration.ofHours(7)); // past the 6h window: 384 fine buckets are 192 s, the coarse 6.4 h
        minutes(e, 1, 10, 0);
        e.save();
        List<SloBucket> rows = store.sloBuckets("gw-1", "drill");
        assertThat(rows).filteredOn(b -> b.widthMillis() == fine).extracting(SloBucket::total).containsExactly(10L);
        assertThat(rows).filteredOn(b -> b.widthMillis() == BurnWindow.coarseWidthMillis(Duration.ofHours(6)))
                .extracting(SloBucket::total).containsExactly(10L);
        assertThat(rows).filteredOn(b -> b.widthMillis() == SloEngine.DAY_MILLIS).extracting(SloBucket::total)
                .containsExactly(110L);

        // A new window makes the old widths useless: they are deleted at the next save; the days stay.
        e.close();
        SloEngine longer = SloEngine.create(List.of(slo("drill", Duration.ofDays(1))), clock, store, "gw-1");
        longer.load();
        longer.save();
        assertThat(store.sloBuckets("gw-1", "drill")).extracting(SloBucket::widthMillis)
                .containsOnly(SloEngine.DAY_MILLIS);
        longer.tick();
        assertThat(longer.history("drill").get(89).total()).isEqualTo(110);
    }

    @Test
    void theStore_replacesBucketsWhole_andRefusesNonsense() {
        StateStore store = store();
        store.saveSloBuckets(List.of(new SloBucket("n", "s", 1000, 5000, 1, 2), new SloBucket("n", "s", 1000, 6000, 3,
                3), new SloBucket("n", "t", 1000, 5000, 9, 9)), List.of());
        store.saveSloBuckets(List.of(new SloBucket("n", "s", 1000, 5000, 4, 5)),
                List.of(new SloBucketRange("n", "s", 1000, 5500)));
        assertThat(store.sloBuckets("n", "s")).containsExactly(new SloBucket("n", "s", 1000, 6000, 3, 3));
        assertThat(store.sloBuckets("n", "t")).containsExactly(new SloBucket("n", "t", 1000, 5000, 9, 9));
        assertThat(store.sloBuckets("other", "s")).isEmpty();
        store.saveSloBuckets(List.of(), List.of()); // nothing to do
        assertThatThrownBy(() -> new SloBucket("n", "s", 1000, 0, 3, 2)).isInstanceOf(
                IllegalArgumentException.class);
    }

    @Test
    void theEnginesThread_loadsTicksAndSaves() throws Exception {
        List<SloSettings> slos = List.of(slo("orders", Duration.ofDays(30)));
        SloEngine first = SloEngine.create(slos, clock, store(), "gw-1");
        first.load(); // what its thread does first; until then it writes nothing over the stored counts
        minutes(first, 1, 40, 2);
        first.close();

        SloEngine second = SloEngine.create(slos, Clock.offset(clock, Duration.ZERO), store(), "gw-1");
        second.start();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(second.statuses().get(0).whole().total()).isEqualTo(42));
            assertThatThrownBy(second::start).isInstanceOf(IllegalStateException.class);
        } finally {
            second.close();
        }
        second.close(); // twice: nothing
    }
}
