package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.palisade.testing.FakeTicker;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class AcceptBackoffTest {
    @Test
    void pauseDoubles_from100ms_upTo1s() {
        assertThat(AcceptBackoff.pauseMillis(1)).isEqualTo(100);
        assertThat(AcceptBackoff.pauseMillis(2)).isEqualTo(200);
        assertThat(AcceptBackoff.pauseMillis(3)).isEqualTo(400);
        assertThat(AcceptBackoff.pauseMillis(4)).isEqualTo(800);
        assertThat(AcceptBackoff.pauseMillis(5)).isEqualTo(1000);
        assertThat(AcceptBackoff.pauseMillis(30)).isEqualTo(1000);
    }

    @Test
    void aFailedAccept_stopsReadingUntilThePauseEnds_andIsNotPassedOn() {
        AcceptBackoff backoff = AcceptBackoff.create(new FakeTicker());
        EmbeddedChannel listening = new EmbeddedChannel(backoff.newHandler("http"));
        listening.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        listening.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        assertThat(listening.config().isAutoRead()).isFalse();
        assertThat(backoff.failures()).isEqualTo(2);
        assertThat(backoff.pauses()).as("the second failure came while paused").isEqualTo(1);
        listening.checkException(); // nothing reached the end of the pipeline
        listening.advanceTimeBy(AcceptBackoff.FIRST_PAUSE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        listening.runScheduledPendingTasks();
        assertThat(listening.config().isAutoRead()).isTrue();
        listening.finishAndReleaseAll();
    }
}
