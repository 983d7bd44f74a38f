package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {
    private static TrustedProxies parse(String json, ConfigErrors errors) throws Exception {
        return TrustedProxies.parse(new ConfigNode(new ObjectMapper().readTree(json), "server.trusted_proxies",
                errors));
    }

    private static TrustedProxies trusted(String json) throws Exception {
        ConfigErrors errors = new ConfigErrors();
        TrustedProxies t = parse(json, errors);
        errors.throwIfAny();
        return t;
    }

    private static HttpHeaders xff(String... values) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (String v : values) {
            h.add("X-Forwarded-For", v);
        }
        return h;
    }

    @Test
    void aTrustedPeer_isSkipped_andTheNearestUntrustedAddressIsTheClient() throws Exception {
        TrustedProxies t = trusted("[\"10.0.0.0/8\", \"192.168.1.7\", \"2001:db8::/32\"]");
        assertThat(t.clientIp("10.1.2.3", xff("203.0.113.9"))).isEqualTo("203.0.113.9");
        // A client may write anything on the left; only what the trusted hops appended is believed.
        assertThat(t.clientIp("10.1.2.3", xff("1.2.3.4, 203.0.113.9, 10.9.9.9"))).isEqualTo("203.0.113.9");
        assertThat(t.clientIp("10.1.2.3", xff("1.2.3.4", "203.0.113.9, 192.168.1.7"))).isEqualTo("203.0.113.9");
        assertThat(t.clientIp("2001:db8::1", xff("2001:db9::5"))).isEqualTo("2001:db9:0:0:0:0:0:5");
        assertThat(t.clientIp("10.1.2.3", xff("10.2.2.2, 10.3.3.3"))).as("all trusted: the leftmost")
                .isEqualTo("10.2.2.2");
        assertThat(t.clientIp("10.1.2.3", xff("garbage, 10.3.3.3"))).as("walk ends at the last believed")
                .isEqualTo("10.3.3.3");
        assertThat(t.clientIp("10.1.2.3", xff())).as("no header: the peer").isEqualTo("10.1.2.3");
        assertThat(t.clientIp("192.168.1.8", xff("203.0.113.9"))).as("an untrusted peer is the client")
                .isEqualTo("192.168.1.8");
        assertThat(t.trusts("::ffff:10.0.0.1")).as("v4-mapped").isTrue();
        assertThat(t.cidrs()).containsExactly("10.0.0.0/8", "192.168.1.7", "2001:db8::/32");
    }

    @Test
    void nobodyTrusted_byDefault() throws Exception {
        assertThat(TrustedProxies.none().clientIp("10.1.2.3", xff("203.0.113.9"))).isEqualTo("10.1.2.3");
        assertThat(trusted("[]").isEmpty()).isTrue();
    }

    @Test
    void badEntries_areConfigErrorsNamingThem() throws Exception {
        ConfigErrors errors = new ConfigErrors();
        parse("[\"10.0.0.0/33\", \"example.com\", \"10.0.0.0/x\", \"::1/129\"]", errors);
        assertThat(errors.list()).hasSize(4).allSatisfy(e -> assertThat(e)
                .startsWith("server.trusted_proxies[").contains("expected: an IP address or a CIDR"));
    }
}
