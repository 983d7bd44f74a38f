package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.auth.AuthSettings;
import io.palisade.proxy.TrafficSplit;
import io.palisade.release.SplitBy;
import org.junit.jupiter.api.Test;

class SplitsTest {
    private static final HttpRequest GET = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");

    private static String ip(int i) {
        return "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
    }

    @Test
    void clientIp_takesItsShareOfAddresses_andIsSticky_andAGrowingShareKeepsItsClients() {
        TrafficSplit ten = Splits.of(0.10, SplitBy.CLIENT_IP, AuthSettings.empty());
        TrafficSplit fifty = Splits.of(0.50, SplitBy.CLIENT_IP, AuthSettings.empty());
        int n = 20_000;
        int inTen = 0;
        for (int i = 0; i < n; i++) {
            boolean a = ten.toCanary(ip(i), GET);
            assertThat(ten.toCanary(ip(i), GET)).as("sticky").isEqualTo(a);
            if (a) {
                inTen++;
                assertThat(fifty.toCanary(ip(i), GET)).as("a canary client stays on it as the share grows").isTrue();
            }
        }
        // 10% of 20,000 = 2,000; 5 sigma of a binomial is about 212.
        assertThat(inTen).isBetween(1_790, 2_210);
    }

    @Test
    void consumer_followsTheCredential_notTheAddress() {
        TrafficSplit half = Splits.of(0.5, SplitBy.CONSUMER, AuthSettings.empty());
        int flips = 0;
        for (int k = 0; k < 200; k++) {
            HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
            r.headers().set("Authorization", "Bearer token-" + k);
            boolean first = half.toCanary(ip(1), r);
            for (int i = 2; i < 20; i++) {
                if (half.toCanary(ip(i), r) != first) {
                    flips++;
                }
            }
        }
        assertThat(flips).isZero();
    }

    @Test
    void request_drawsEachRequest_andTheEndsAreExact() {
        TrafficSplit none = Splits.of(0, SplitBy.REQUEST, AuthSettings.empty());
        TrafficSplit all = Splits.of(1, SplitBy.REQUEST, AuthSettings.empty());
        TrafficSplit quarter = Splits.of(0.25, SplitBy.REQUEST, AuthSettings.empty());
        int in = 0;
        for (int i = 0; i < 20_000; i++) {
            assertThat(none.toCanary("1.2.3.4", GET)).isFalse();
            assertThat(all.toCanary("1.2.3.4", GET)).isTrue();
            if (quarter.toCanary("1.2.3.4", GET)) {
                in++;
            }
        }
        assertThat(in).isBetween(5_000 - 310, 5_000 + 310);
    }
}
