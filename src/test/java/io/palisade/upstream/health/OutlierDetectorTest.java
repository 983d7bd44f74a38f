package io.palisade.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutlierDetectorTest {
    private static final OutlierConfig CONFIG =
            new OutlierConfig(3, Duration.ofSeconds(10), Duration.ofSeconds(60), 50, 50);

    private final FakeTicker ticker = new FakeTicker();
    private final OutlierDetector detector = new OutlierDetector();

    @Test
    void consecutiveFailures_countUntilASuccess() {
        assertThat(detector.onFailure()).isEqualTo(1);
        assertThat(detector.onFailure()).isEqualTo(2);
        assertThat(OutlierDetector.reachesThreshold(2, CONFIG)).isFalse();
        assertThat(OutlierDetector.reachesThreshold(3, CONFIG)).isTrue();
        detector.onSuccess();
        assertThat(detector.consecutiveFailures()).isZero();
    }

    @Test
    void thresholdBelowOne_disablesEjection() {
        OutlierConfig off = new OutlierConfig(0, Duration.ofSeconds(10), Duration.ofSeconds(60), 50, 50);
        assertThat(OutlierDetector.reachesThreshold(1_000, off)).isFalse();
    }

    @Test
    void ejection_lastsTheBaseTimeThenRecoversExactlyOnce() {
        assertThat(detector.tryEject(ticker.read(), CONFIG)).isTrue();
        assertThat(detector.tryEject(ticker.read(), CONFIG)).isFalse();
        assertThat(detector.isEjected()).isTrue();
        assertThat(detector.ejectionCount(ticker.read(), CONFIG)).isEqualTo(1);

        ticker.advance(Duration.ofSeconds(10).minusNanos(1));
        assertThat(detector.tryRecover(ticker.read())).isFalse();
        ticker.advanceNanos(1);
        assertThat(detector.tryRecover(ticker.read())).isTrue();
        assertThat(detector.tryRecover(ticker.read())).isFalse();
        assertThat(detector.isEjected()).isFalse();
    }

    @Test
    void repeatedEjections_doubleUpToTheCap() {
        long[] expectedSeconds = {10, 20, 40, 60, 60};
        for (long seconds : expectedSeconds) {
            long start = ticker.read();
            assertThat(detector.tryEject(start, CONFIG)).isTrue();
            assertThat(detector.ejectedUntilNanos() - start).isEqualTo(Duration.ofSeconds(seconds).toNanos());
            ticker.advance(Duration.ofSeconds(seconds));
            assertThat(detector.tryRecover(ticker.read())).isTrue();
        }
        assertThat(detector.ejectionCount(ticker.read(), CONFIG)).isEqualTo(5);
    }

    @Test
    void ejectionCount_decaysOneStepPerMaxEjectionWithoutEjection() {
        for (int i = 0; i < 3; i++) {
            detector.tryEject(ticker.read(), CONFIG);
            ticker.advance(Duration.ofMinutes(1));
            detector.tryRecover(ticker.read());
        }
        assertThat(detector.ejectionCount(ticker.read(), CONFIG)).isEqualTo(3);

        ticker.advance(Duration.ofSeconds(59));
        assertThat(detector.ejectionCount(ticker.read(), CONFIG)).isEqualTo(3);
        ticker.advance(Duration.ofSeconds(1));
        assertThat(detector.ejectionCount(ticker.read(), CONFIG)).isEqualTo(2);

        // The next ejection builds on the decayed count: n = 3, so 40 s rather than the 60 s cap.
        long start = ticker.read();
        detector.tryEject(start, CONFIG);
        assertThat(detector.ejectedUntilNanos() - start).isEqualTo(Duration.ofSeconds(40).toNanos());

        ticker.advance(Duration.ofSeconds(40));
        detector.tryRecover(ticker.read());
        ticker.advance(Duration.ofHours(1));
        assertThat(detector.ejectionCount(ticker.read(), CONFIG)).isZero();
    }

    @Test
    void recovery_clearsFailuresOfRequestsThatWereInFlight() {
        detector.onFailure();
        detector.tryEject(ticker.read(), CONFIG);
        detector.onFailure();
        detector.onFailure();
        assertThat(detector.forceRecover(ticker.read())).isTrue();
        assertThat(detector.consecutiveFailures()).isZero();
    }

    @Test
    void ejectionNanos_neverOverflows() {
        assertThat(OutlierDetector.ejectionNanos(CONFIG, Integer.MAX_VALUE))
                .isEqualTo(Duration.ofSeconds(60).toNanos());
        assertThat(OutlierDetector.ejectionNanos(CONFIG, 1)).isEqualTo(Duration.ofSeconds(10).toNanos());
    }
}
