package io.palisade.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLogTest {
    private final FakeTicker ticker = new FakeTicker();
    private final Logger logger = (Logger) LoggerFactory.getLogger("test.RateLimitedLogTest");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final RateLimitedLog log = RateLimitedLog.every(Duration.ofSeconds(10), logger, ticker);

    @BeforeEach
    void attach() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(lines);
    }

    private String line(int i) {
        return lines.list.get(i).getFormattedMessage();
    }

    @Test
    void firstLine_isWritten_repeatsWithinThePeriodAreSuppressed_andTheNextLineCountsThem() {
        log.warn("listener failed", null);
        ticker.advance(Duration.ofSeconds(1));
        log.warn("listener failed", null);
        log.warn("listener failed", null);
        ticker.advance(Duration.ofSeconds(9));
        log.warn("listener failed", null);
        log.warn("listener failed", null);
        assertThat(lines.list).hasSize(2);
        assertThat(line(0)).isEqualTo("listener failed");
        assertThat(line(1)).isEqualTo("listener failed (2 similar suppressed)");
        assertThat(lines.list.get(1).getLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void eachKey_isItsOwnStream_andTheUnkeyedOneAnother() {
        log.warn("fetch", "fetch failed", null);
        log.warn("call", "call failed", null);
        log.warn("fetch", "fetch failed", null);
        log.warn("unkeyed", null);
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("fetch failed", "call failed", "unkeyed");
    }

    @Test
    void keysBeyondTheBudget_shareOneStream() {
        for (int i = 0; i < RateLimitedLog.MAX_KEYS + 5; i++) {
            log.warn("key-" + i, "failed " + i, null);
        }
        // The budget's keys each got their line; the five beyond it share the "other" stream: one line.
        assertThat(lines.list).hasSize(RateLimitedLog.MAX_KEYS + 1);
    }

    @Test
    void aCause_isLoggedWithItsStackTrace_atTheLevelAskedFor() {
        IllegalStateException cause = new IllegalStateException("boom");
        log.error("unexpected failure", cause);
        assertThat(lines.list).hasSize(1);
        assertThat(lines.list.get(0).getLevel()).isEqualTo(Level.ERROR);
        assertThat(lines.list.get(0).getThrowableProxy().getMessage()).isEqualTo("boom");
        assertThat(lines.list.get(0).getThrowableProxy().getStackTraceElementProxyArray()).isNotEmpty();
    }

    @Test
    void aPeriodOfZero_isRefused() {
        assertThatThrownBy(() -> RateLimitedLog.every(Duration.ZERO, logger, ticker))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("period");
    }
}
