package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
    private final FakeTicker ticker = new FakeTicker();

    private CircuitBreaker breaker(int consecutive, double ratio, int window) {
        return new CircuitBreaker(new AuthSettings.Breaker(consecutive, ratio, window, Duration.ofSeconds(10)),
                ticker);
    }

    private static void fail(CircuitBreaker b) {
        b.onResult(b.tryAcquire(), false);
    }

    private static void succeed(CircuitBreaker b) {
        b.onResult(b.tryAcquire(), true);
    }

    @Test
    void consecutiveFailures_openTheCircuit() {
        CircuitBreaker b = breaker(3, 1.0, 100);
        fail(b);
        fail(b);
        succeed(b);
        fail(b);
        fail(b);
        assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
        fail(b);
        assertThat(b.state()).isEqualTo(BreakerState.OPEN);
        assertThat(b.tryAcquire()).isEqualTo(CircuitBreaker.REJECTED);
    }

    @Test
    void failureRatioOverAFullWindow_opensTheCircuit() {
        CircuitBreaker b = breaker(100, 0.5, 4);
        fail(b);
        succeed(b);
        fail(b);
        assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
        succeed(b);
        assertThat(b.state()).isEqualTo(BreakerState.OPEN);
    }

    @Test
    void afterOpenDuration_oneProbeDecides() {
        CircuitBreaker b = breaker(1, 1.0, 10);
        fail(b);
        assertThat(b.state()).isEqualTo(BreakerState.OPEN);
        ticker.advance(Duration.ofSeconds(9));
        assertThat(b.tryAcquire()).isEqualTo(CircuitBreaker.REJECTED);
        ticker.advance(Duration.ofSeconds(1));

        long probe = b.tryAcquire();
        assertThat(probe).isNotEqualTo(CircuitBreaker.REJECTED);
        assertThat(b.state()).isEqualTo(BreakerState.HALF_OPEN);
        assertThat(b.tryAcquire()).as("only one probe at a time").isEqualTo(CircuitBreaker.REJECTED);

        b.onResult(probe, false);
        assertThat(b.state()).isEqualTo(BreakerState.OPEN);
        ticker.advance(Duration.ofSeconds(10));
        probe = b.tryAcquire();
        b.onResult(probe, true);
        assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
        assertThat(b.tryAcquire()).isNotEqualTo(CircuitBreaker.REJECTED);
    }

    @Test
    void lateResultOfACallFromBeforeTheCircuitOpened_isIgnored() {
        CircuitBreaker b = breaker(1, 1.0, 10);
        long slow = b.tryAcquire();
        fail(b);
        ticker.advance(Duration.ofSeconds(10));
        long probe = b.tryAcquire();
        b.onResult(slow, true);
        assertThat(b.state()).isEqualTo(BreakerState.HALF_OPEN);
        b.onResult(probe, true);
        assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
    }

    @Test
    void releasedProbe_letsAnotherProbeThrough() {
        CircuitBreaker b = breaker(1, 1.0, 10);
        fail(b);
        ticker.advance(Duration.ofSeconds(10));
        long probe = b.tryAcquire();
        b.release(probe);
        assertThat(b.tryAcquire()).isNotEqualTo(CircuitBreaker.REJECTED);
    }

    @Test
    void illegalTransitions_throw() {
        CircuitBreaker b = breaker(1, 1.0, 10);
        assertThatThrownBy(() -> b.transitionTo(BreakerState.HALF_OPEN)).isInstanceOf(IllegalStateException.class)
                .hasMessage("circuit breaker cannot move from CLOSED to HALF_OPEN");
        assertThatThrownBy(() -> b.transitionTo(BreakerState.CLOSED)).isInstanceOf(IllegalStateException.class);
        b.transitionTo(BreakerState.OPEN);
        assertThatThrownBy(() -> b.transitionTo(BreakerState.CLOSED)).isInstanceOf(IllegalStateException.class)
                .hasMessage("circuit breaker cannot move from OPEN to CLOSED");
        assertThatThrownBy(() -> b.transitionTo(BreakerState.OPEN)).isInstanceOf(IllegalStateException.class);
        b.transitionTo(BreakerState.HALF_OPEN);
        assertThatThrownBy(() -> b.transitionTo(BreakerState.HALF_OPEN)).isInstanceOf(IllegalStateException.class);
        b.transitionTo(BreakerState.CLOSED);
        assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
    }
}
