package io.palisade.overload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.overload.OverloadManager.Level;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OverloadManagerTest {
    /** A heap whose reading the test sets; it counts the collections asked for. */
    private static final class FakeHeap implements HeapGauge {
        double reading;
        long collections;
        int asked;

        @Override
        public double usedAfterGc() {
            return reading;
        }

        @Override
        public long collections() {
            return collections;
        }

        @Override
        public void collect() {
            asked++;
            collections++;
        }
    }

    private final FakeHeap heap = new FakeHeap();
    private final FakeTicker ticker = new FakeTicker();
    private final OverloadManager manager = new OverloadManager(OverloadSettings.DEFAULTS, heap, ticker, null);

    private Level read(double reading) {
        heap.reading = reading;
        heap.collections++;
        ticker.advance(Duration.ofMillis(250));
        manager.sample();
        return manager.level();
    }

    @Test
    void heapPressure_stopsKeepAlive_thenSheds_thenRecovers_withHysteresis() {
        assertThat(read(0.50)).isEqualTo(Level.NORMAL);
        assertThat(manager.stopKeepAlive()).isFalse();
        assertThat(manager.shedRequest()).isFalse();

        assertThat(read(0.86)).isEqualTo(Level.STOP_KEEPALIVE);
        assertThat(manager.stopKeepAlive()).isTrue();
        assertThat(manager.shedRequest()).isFalse();

        assertThat(read(0.96)).isEqualTo(Level.SHED);
        assertThat(manager.shedRequest()).isTrue();
        assertThat(manager.shedRequest()).isTrue();
        assertThat(manager.shed()).isEqualTo(2);
        assertThat(manager.stopKeepAlive()).isTrue();

        assertThat(read(0.93)).as("under heap_shed but within the hysteresis").isEqualTo(Level.SHED);
        assertThat(read(0.89)).as("5 points under heap_shed, still over heap_stop_keepalive")
                .isEqualTo(Level.STOP_KEEPALIVE);
        assertThat(read(0.82)).as("within the hysteresis of heap_stop_keepalive").isEqualTo(Level.STOP_KEEPALIVE);
        assertThat(read(0.79)).isEqualTo(Level.NORMAL);
        assertThat(manager.heapUsedAfterGc()).isEqualTo(0.79);
        assertThat(manager.shedRequest()).isFalse();
        assertThat(manager.shed()).isEqualTo(2);
    }

    @Test
    void aReadingAtAThreshold_doesNotFlap() {
        read(0.95);
        for (double r : new double[] {0.949, 0.951, 0.92, 0.95, 0.91}) {
            assertThat(read(r)).as("reading %s", r).isEqualTo(Level.SHED);
        }
    }

    @Test
    void whileOverloaded_aStaleReading_asksForACollection_atMostEvery5s() {
        read(0.96);
        // Load fell: nothing is allocated, no collection runs, the reading stays where it was.
        for (int i = 0; i < 19; i++) {
            ticker.advance(Duration.ofMillis(250));
            manager.sample();
        }
        assertThat(heap.asked).as("4.75 s without a collection").isZero();
        ticker.advance(Duration.ofMillis(250));
        heap.reading = 0.40; // what the collection asked for finds
        manager.sample();
        assertThat(heap.asked).isEqualTo(1);
        assertThat(manager.level()).isEqualTo(Level.NORMAL);

        ticker.advance(Duration.ofSeconds(60));
        manager.sample();
        assertThat(heap.asked).as("never while normal").isEqualTo(1);
    }

    @Test
    void aReload_changesTheThresholds() {
        assertThat(read(0.60)).isEqualTo(Level.NORMAL);
        manager.settings(new OverloadSettings(0.5, 0.55));
        assertThat(read(0.60)).isEqualTo(Level.SHED);
    }

    @Test
    void thresholds_outOfOrder_areRefused() {
        assertThatThrownBy(() -> new OverloadSettings(0.9, 0.8)).hasMessageContaining("heap_stop_keepalive <= heap_shed");
        assertThatThrownBy(() -> new OverloadSettings(0, 0.8)).hasMessageContaining("0 < heap_stop_keepalive");
    }

    @Test
    void theJvmGauge_readsAFractionOfTheHeap() throws Exception {
        try (HeapGauge jvm = HeapGauge.jvm()) {
            assertThat(jvm.usedAfterGc()).isBetween(0.0, 1.0);
            assertThat(jvm.collections()).isNotNegative();
        }
    }
}
