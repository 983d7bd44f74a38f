package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConnectionLimiterTest {
    private final AtomicInteger activeSeenBehind = new AtomicInteger();

    private EmbeddedChannel connect(ConnectionLimiter limiter) {
        return new EmbeddedChannel(limiter, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                activeSeenBehind.incrementAndGet();
            }
        });
    }

    @Test
    void connectionsOverTheCap_areClosedOnAccept_andCounted() {
        ConnectionLimiter limiter = ConnectionLimiter.create(2);
        EmbeddedChannel a = connect(limiter);
        EmbeddedChannel b = connect(limiter);
        EmbeddedChannel c = connect(limiter);
        assertThat(a.isOpen()).isTrue();
        assertThat(b.isOpen()).isTrue();
        assertThat(c.isOpen()).isFalse();
        assertThat(limiter.open()).isEqualTo(2);
        assertThat(limiter.rejected()).isEqualTo(1);
        assertThat(activeSeenBehind).hasValue(2);

        a.close();
        assertThat(limiter.open()).isEqualTo(1);
        EmbeddedChannel d = connect(limiter);
        assertThat(d.isOpen()).isTrue();
        assertThat(limiter.open()).isEqualTo(2);
        assertThat(limiter.rejected()).isEqualTo(1);

        for (EmbeddedChannel ch : new EmbeddedChannel[] {a, b, c, d}) {
            ch.finishAndReleaseAll();
        }
        assertThat(limiter.open()).isZero();
    }

    @Test
    void aRejectedConnectionClosing_doesNotFreeASlot() {
        ConnectionLimiter limiter = ConnectionLimiter.create(1);
        EmbeddedChannel a = connect(limiter);
        EmbeddedChannel rejected = connect(limiter);
        rejected.finishAndReleaseAll();
        assertThat(limiter.open()).isEqualTo(1);
        assertThat(connect(limiter).isOpen()).isFalse();
        assertThat(limiter.rejected()).isEqualTo(2);
        a.finishAndReleaseAll();
    }

    @Test
    void nonPositiveCap_isRefused() {
        assertThatThrownBy(() -> ConnectionLimiter.create(0)).hasMessageContaining("expected: > 0");
        assertThatThrownBy(() -> ConnectionLimiter.create(1).maxConnections(0)).hasMessageContaining("expected: > 0");
    }

    @Test
    void aChangedCap_appliesToNewConnections_andClosesNoOpenOne() {
        ConnectionLimiter limiter = ConnectionLimiter.create(1);
        EmbeddedChannel a = connect(limiter);
        limiter.maxConnections(2);
        EmbeddedChannel b = connect(limiter);
        assertThat(b.isOpen()).isTrue();

        limiter.maxConnections(1);
        assertThat(a.isOpen()).isTrue();
        assertThat(b.isOpen()).isTrue();
        EmbeddedChannel c = connect(limiter);
        assertThat(c.isOpen()).isFalse();
        b.finishAndReleaseAll();
        assertThat(connect(limiter).isOpen()).as("still 1 open: the lowered cap is reached").isFalse();
        a.finishAndReleaseAll();
        EmbeddedChannel d = connect(limiter);
        assertThat(d.isOpen()).isTrue();
        assertThat(limiter.maxConnections()).isEqualTo(1);
        for (EmbeddedChannel ch : new EmbeddedChannel[] {c, d}) {
            ch.finishAndReleaseAll();
        }
    }
}
