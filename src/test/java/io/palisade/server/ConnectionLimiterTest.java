package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.buffer.Unpooled;
import io.palisade.testing.FakeTicker;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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

    /** A channel whose peer is {@code address}: the limiter counts it per client address. */
    private EmbeddedChannel connectFrom(ConnectionLimiter limiter, String address) {
        InetSocketAddress peer = new InetSocketAddress(address, 40000);
        return new EmbeddedChannel(limiter, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                activeSeenBehind.incrementAndGet();
            }
        }) {
            @Override
            protected SocketAddress remoteAddress0() {
                return peer;
            }
        };
    }

    private static ConnectionLimiter perIp(int max, int maxPerIp) {
        return ConnectionLimiter.create("http", max, maxPerIp, false, new FakeTicker());
    }

    @Test
    void connectionsOverTheCapPerAddress_areClosedOnAccept_whileOtherAddressesAreServed() {
        ConnectionLimiter limiter = perIp(100, 2);
        List<EmbeddedChannel> all = new ArrayList<>();
        EmbeddedChannel a1 = connectFrom(limiter, "127.0.0.1");
        EmbeddedChannel a2 = connectFrom(limiter, "127.0.0.1");
        EmbeddedChannel a3 = connectFrom(limiter, "127.0.0.1");
        EmbeddedChannel b1 = connectFrom(limiter, "127.0.0.2");
        all.addAll(List.of(a1, a2, a3, b1));
        assertThat(a1.isOpen()).isTrue();
        assertThat(a2.isOpen()).isTrue();
        assertThat(a3.isOpen()).isFalse();
        assertThat(b1.isOpen()).as("another address has a count of its own").isTrue();
        assertThat(limiter.rejectedPerIp()).isEqualTo(1);
        assertThat(limiter.rejected()).as("the listener was not full").isZero();
        assertThat(limiter.open()).as("the refused one is not counted").isEqualTo(3);
        assertThat(limiter.addressesTracked()).isEqualTo(2);
        assertThat(activeSeenBehind).hasValue(3);

        a3.finishAndReleaseAll();
        EmbeddedChannel again = connectFrom(limiter, "127.0.0.1");
        all.add(again);
        assertThat(again.isOpen()).as("a refused connection closing frees no slot").isFalse();
        a1.finishAndReleaseAll();
        EmbeddedChannel a4 = connectFrom(limiter, "127.0.0.1");
        all.add(a4);
        assertThat(a4.isOpen()).isTrue();

        for (EmbeddedChannel ch : all) {
            ch.finishAndReleaseAll();
        }
        assertThat(limiter.open()).isZero();
        assertThat(limiter.addressesTracked()).as("an address's entry goes with its last connection").isZero();
    }

    @Test
    void ipv6Clients_areCountedPer64() {
        ConnectionLimiter limiter = perIp(100, 1);
        EmbeddedChannel a = connectFrom(limiter, "2001:db8:1:2::1");
        EmbeddedChannel sameSlash64 = connectFrom(limiter, "2001:db8:1:2:ffff::9");
        EmbeddedChannel otherSlash64 = connectFrom(limiter, "2001:db8:1:3::1");
        EmbeddedChannel v4 = connectFrom(limiter, "10.0.0.1");
        assertThat(a.isOpen()).isTrue();
        assertThat(sameSlash64.isOpen()).isFalse();
        assertThat(otherSlash64.isOpen()).isTrue();
        assertThat(v4.isOpen()).isTrue();
        assertThat(DefaultConnectionLimiter.key("::ffff:10.0.0.1")).as("an IPv4-mapped address is its IPv4 address")
                .isEqualTo(DefaultConnectionLimiter.key("10.0.0.1"));
        assertThat(DefaultConnectionLimiter.key("0.0.0.0")).as("an IPv4 key never equals an IPv6 one")
                .isNotEqualTo(DefaultConnectionLimiter.key("::"));
        for (EmbeddedChannel ch : List.of(a, sameSlash64, otherSlash64, v4)) {
            ch.finishAndReleaseAll();
        }
        assertThat(limiter.addressesTracked()).isZero();
    }

    @Test
    void capPerAddress_changesOnReload_andZeroTurnsItOff() {
        ConnectionLimiter limiter = perIp(100, 1);
        EmbeddedChannel a = connectFrom(limiter, "127.0.0.1");
        EmbeddedChannel b = connectFrom(limiter, "127.0.0.1");
        assertThat(b.isOpen()).isFalse();
        limiter.maxConnectionsPerIp(2);
        EmbeddedChannel c = connectFrom(limiter, "127.0.0.1");
        assertThat(c.isOpen()).isTrue();
        limiter.maxConnectionsPerIp(0);
        EmbeddedChannel d = connectFrom(limiter, "127.0.0.1");
        assertThat(d.isOpen()).as("0: no cap per address").isTrue();
        assertThat(limiter.maxConnectionsPerIp()).isZero();
        assertThatThrownBy(() -> limiter.maxConnectionsPerIp(-1)).hasMessageContaining("expected: >= 0");
        for (EmbeddedChannel ch : List.of(a, b, c, d)) {
            ch.finishAndReleaseAll();
        }
        assertThat(limiter.open()).isZero();
        assertThat(limiter.addressesTracked()).as("counted before the cap went off, released after").isZero();
    }

    @Test
    void behindAProxyHeader_theClientItNamesIsCounted_onceTheHeaderIsRead() {
        ConnectionLimiter limiter = ConnectionLimiter.create("http", 100, 1, true, new FakeTicker());
        List<EmbeddedChannel> all = new ArrayList<>();
        for (String client : List.of("192.0.2.1", "192.0.2.2", "192.0.2.1")) {
            EmbeddedChannel ch = connectFrom(limiter, "127.0.0.1");
            all.add(ch);
            ProxyProtocol.install(ch.pipeline());
            ch.writeInbound(Unpooled.copiedBuffer("PROXY TCP4 " + client + " 127.0.0.1 40000 80\r\n",
                    StandardCharsets.US_ASCII));
        }
        assertThat(all.get(0).isOpen()).isTrue();
        assertThat(all.get(1).isOpen()).as("same balancer, another client").isTrue();
        assertThat(all.get(2).isOpen()).as("the first client's second connection").isFalse();
        assertThat(limiter.rejectedPerIp()).isEqualTo(1);
        for (EmbeddedChannel ch : all) {
            ch.finishAndReleaseAll();
        }
        assertThat(limiter.open()).isZero();
        assertThat(limiter.addressesTracked()).isZero();
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
