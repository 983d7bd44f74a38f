package io.palisade.gateway;

import static io.palisade.gateway.ConfigLoaderTest.errorsOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.server.Http2Settings;
import io.palisade.server.ListenerConfig;
import io.palisade.upstream.UpstreamProtocol;
import org.junit.jupiter.api.Test;

/** {@code listeners.<name>.http2} and {@code clusters.<name>.protocol}: what is read, what is refused and why. */
class Http2ConfigTest {
    private static String config(String listener, String cluster) {
        return """
                listeners:
                  http: { address: 127.0.0.1:8080%s }
                clusters:
                  app: { endpoints: [ "127.0.0.1:9000" ]%s }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                """.formatted(listener, cluster);
    }

    @Test
    void withoutTheBlock_aListenerIsHttp11Only() {
        ListenerConfig l = ConfigLoader.parse(config("", ""), "t.yaml").listeners().getFirst();
        assertThat(l.http2()).isEmpty();
        assertThat(l.h2c()).isFalse();
    }

    @Test
    void anEmptyBlock_turnsOnH2c_withTheDefaults() {
        ListenerConfig l = ConfigLoader.parse(config(", http2: {}", ""), "t.yaml").listeners().getFirst();
        assertThat(l.http2()).contains(Http2Settings.DEFAULTS);
        assertThat(l.h2c()).isTrue();
        assertThat(Http2Settings.DEFAULTS).isEqualTo(new Http2Settings(true, 100, 16 * 1024, 1024 * 1024));
    }

    @Test
    void theKeys_areRead() {
        ListenerConfig l = ConfigLoader.parse(config(", http2: { max_concurrent_streams: 250,"
                + " max_header_list_size: 32KiB, initial_window: 256KiB }", ""), "t.yaml").listeners().getFirst();
        assertThat(l.http2()).contains(new Http2Settings(true, 250, 32 * 1024, 256 * 1024));
        ListenerConfig off = ConfigLoader.parse(config(", http2: { enabled: false }", ""), "t.yaml").listeners()
                .getFirst();
        assertThat(off.h2c()).isFalse();
    }

    @Test
    void badValues_areRefused_withTheirPaths() {
        assertThat(errorsOf(config(", http2: { max_concurrent_streams: 0, max_header_list_size: 100,"
                + " initial_window: 1000, push: true }", ""))).containsExactlyInAnyOrder(
                "listeners.http.http2.max_concurrent_streams: 0 (expected: between 1 and 10000)",
                "listeners.http.http2.max_header_list_size: 100 (expected: between 1024 and 1048576 bytes)",
                "listeners.http.http2.initial_window: 1000 (expected: >= 65535 bytes)",
                "listeners.http.http2.push: unknown key (expected one of: enabled, initial_window,"
                        + " max_concurrent_streams, max_header_list_size)");
    }

    @Test
    void clusterProtocol_defaultsToHttp1_andTakesH2c() {
        assertThat(ConfigLoader.parse(config("", ""), "t.yaml").clusters().get("app").protocol())
                .isEqualTo(UpstreamProtocol.HTTP1);
        assertThat(ConfigLoader.parse(config("", ", protocol: h2c"), "t.yaml").clusters().get("app").protocol())
                .isEqualTo(UpstreamProtocol.H2C);
    }

    @Test
    void clusterProtocolH2_needsTls_andNeitherHttp2ProtocolTakesAHealthCheck() {
        assertThat(ConfigLoader.parse(config("", ", protocol: h2, tls: {}"), "t.yaml").clusters().get("app")
                .protocol()).isEqualTo(UpstreamProtocol.H2);
        assertThat(errorsOf(config("", ", protocol: h2"))).singleElement().asString()
                .startsWith("clusters.app.protocol: h2 without tls (expected: a tls block");
        assertThat(errorsOf(config("", ", protocol: h2c, tls: {}"))).singleElement().asString()
                .startsWith("clusters.app.protocol: h2c with tls");
        assertThat(errorsOf(config("", ", protocol: h2c, health_check: { path: /healthz }"))).singleElement()
                .asString().startsWith("clusters.app.protocol: h2c with a health_check");
        assertThat(errorsOf(config("", ", protocol: h2, tls: {}, health_check: { path: /healthz }")))
                .singleElement().asString().startsWith("clusters.app.protocol: h2 with a health_check");
        assertThat(errorsOf(config("", ", protocol: spdy"))).singleElement().asString()
                .startsWith("clusters.app.protocol:");
    }

    @Test
    void aWebsocketRoute_cannotReachAnHttp2Cluster() {
        assertThat(errorsOf("""
                clusters:
                  ws: { endpoints: [ "127.0.0.1:9000" ], failover: grpc }
                  grpc: { endpoints: [ "127.0.0.1:9001" ], protocol: h2c }
                routes:
                  - { match: { path_prefix: /a }, cluster: ws, websocket: true }
                  - { match: { path_prefix: /b }, cluster: grpc }
                """)).containsExactly("routes[0].websocket: true (expected: false, or only clusters with protocol"
                + " http1: cluster grpc speaks h2c, and a WebSocket upgrade goes upstream as HTTP/1.1)");
    }
}
