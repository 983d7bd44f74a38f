package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.handler.ssl.SslContextBuilder;
import io.palisade.admin.ReloadResult;
import io.palisade.tls.CertifiedKeyAccess;
import io.palisade.tls.TestPki;
import io.palisade.tls.TlsClient;
import io.palisade.testing.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS listeners against the real gateway: SNI, versions, client certificates and mtls auth, reloads and certificate
 * file changes without dropping connections, the handshake deadline, X-Forwarded-Proto, upstream TLS and the admin
 * port over TLS. Certificates are made at test time by a test CA; the clients are the JDK's.
 */
class TlsGatewayTest {
    @TempDir
    Path dir;
    private TestPki.Issued ca;
    private TestPki.Issued otherCa;
    private SSLContext trustingCa;
    private TestUpstream upstream;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private Gateway gateway;
    private Path config;

    @BeforeEach
    void pki() {
        ca = TestPki.ca("Palisade Test CA");
        otherCa = TestPki.ca("Some Other CA");
        TestPki.write(dir, "api", TestPki.server(ca, "api.test", TestPki.rsa(), "api.test", "localhost"),
                TestPki.KeyForm.PKCS8);
        TestPki.write(dir, "eu", TestPki.server(ca, "eu.test", TestPki.ec(), "eu.test", "*.eu.test"),
                TestPki.KeyForm.TRADITIONAL);
        TestPki.writeCert(dir, "ca", ca.cert());
        TestPki.writeCert(dir, "other-ca", otherCa.cert());
        trustingCa = TlsClient.context(ca.cert(), null);
        upstream = TestUpstream.start("plain");
        closing.add(upstream);
    }

    @AfterEach
    void close() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private String yaml(String tlsExtra, String extra) {
        return """
                server: { worker_threads: 2, limits: { header_read_timeout: 1s } }
                listeners:
                  http: { address: 127.0.0.1:0 }
                  https:
                    address: 127.0.0.1:0
                    tls:
                      certificates:
                        - { cert_file: %1$s/api.pem, key_file: %1$s/api.key }
                        - { cert_file: %1$s/eu.pem, key_file: %1$s/eu.key }
                %2$s
                admin: { address: 127.0.0.1:0 }
                access_log: { enabled: false }
                rollout: { steps: [100%%] }
                clusters:
                  app: { endpoints: [ "127.0.0.1:%3$d" ] }
                routes:
                  - { match: { path_prefix: / }, cluster: app }
                %4$s
                """.formatted(dir, tlsExtra.indent(6).stripTrailing(), upstream.port(), extra);
    }

    private void start(String yaml) throws Exception {
        config = dir.resolve("palisade.yaml");
        Files.writeString(config, yaml);
        gateway = Gateway.start(config, dir.resolve("state"));
    }

    private int https() {
        return gateway.port("https");
    }

    /**
     * A client context with no sessions cached: the JDK client resumes a session by address alone, and a resumed
     * session reports the certificate of the handshake it came from, whatever SNI asks now (BoringSSL resumes
     * across a listener's certificates, as nginx does with shared ticket keys).
     */
    private SSLContext fresh() {
        return TlsClient.context(ca.cert(), null);
    }

    private String cn(TlsClient c) throws IOException {
        return c.serverCertificate().getSubjectX500Principal().getName();
    }

    private void servesStill() throws IOException {
        try (TlsClient c = TlsClient.connect(https(), trustingCa, "api.test")) {
            assertThat(c.get("/still").status()).isEqualTo(200);
        }
    }

    @Test
    void sniPicksTheCertificate_theFirstIsTheDefault_andXForwardedProtoSaysHttps() throws Exception {
        start(yaml("", ""));
        try (TlsClient eu = TlsClient.connect(https(), fresh(), "eu.test")) {
            assertThat(cn(eu)).isEqualTo("CN=eu.test");
            assertThat(eu.get("/hello").status()).isEqualTo(200);
        }
        try (TlsClient wildcard = TlsClient.connect(https(), fresh(), "www.eu.test")) {
            assertThat(cn(wildcard)).isEqualTo("CN=eu.test");
        }
        try (TlsClient unknown = TlsClient.connect(https(), fresh(), "unknown.test")) {
            assertThat(cn(unknown)).isEqualTo("CN=api.test");
        }
        try (TlsClient none = TlsClient.connect(https(), fresh(), null)) {
            assertThat(cn(none)).isEqualTo("CN=api.test");
            assertThat(none.protocol()).isEqualTo("TLSv1.3");
            assertThat(none.get("/proto").status()).isEqualTo(200);
        }
        assertThat(upstream.received().getLast().headers().get("x-forwarded-proto")).isEqualTo("https");
        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port("http") + "/plain")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(upstream.received().getLast().headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(gateway.metrics().scrape())
                .contains("palisade_tls_handshakes_total{listener=\"https\",protocol=\"http/1.1\",version=\"TLSv1.3\"}");
    }

    @Test
    void jdkHttpClient_getsThroughWithTheIpSan() throws Exception {
        start(yaml("", ""));
        HttpClient client = HttpClient.newBuilder().sslContext(trustingCa).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + https() + "/jdk")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-upstream")).contains("plain");
    }

    @Test
    void minVersion13_refusesATls12Client_andOldVersionsAreNeverEnabled() throws Exception {
        start(yaml("min_version: TLSv1.3", ""));
        assertThatThrownBy(() -> TlsClient.connect(https(), trustingCa, "api.test", "TLSv1.2").get("/"))
                .isInstanceOf(IOException.class);
        try (TlsClient c = TlsClient.connect(https(), trustingCa, "api.test", "TLSv1.3")) {
            assertThat(c.protocol()).isEqualTo("TLSv1.3");
        }
        // TLS 1.0 and 1.1: the JDK client here cannot offer them any more, so the server's side is asserted.
        assertThat(CertifiedKeyAccess.enabledProtocols(dir.resolve("api.pem"), dir.resolve("api.key"), "TLSv1.2"))
                .contains("TLSv1.2", "TLSv1.3").doesNotContain("TLSv1", "TLSv1.1", "SSLv3");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(gateway.metrics().scrape())
                .contains("palisade_tls_handshake_failures_total{listener=\"https\",reason=\"protocol_version\"}"));
        servesStill();
    }

    @Test
    void clientAuthRequired_withoutACertificate_failsTheHandshake() throws Exception {
        start(yaml("client_auth: required\nclient_ca_file: " + dir + "/ca.pem", ""));
        assertThatThrownBy(() -> {
            try (TlsClient c = TlsClient.connect(https(), trustingCa, "api.test")) {
                c.get("/needs-cert"); // TLS 1.3: the server's verdict on the certificate comes after the Finished
            }
        }).isInstanceOf(IOException.class);
        TestPki.Issued alice = TestPki.client(ca, "alice", null, null);
        try (TlsClient c = TlsClient.connect(https(), TlsClient.context(ca.cert(), alice), "api.test")) {
            assertThat(c.get("/with-cert").status()).isEqualTo(200);
        }
        TestPki.Issued stranger = TestPki.client(otherCa, "alice", null, null);
        assertThatThrownBy(() -> {
            try (TlsClient c = TlsClient.connect(https(), TlsClient.context(ca.cert(), stranger), "api.test")) {
                c.get("/untrusted-cert");
            }
        }).isInstanceOf(IOException.class);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(gateway.metrics().scrape())
                .contains("palisade_tls_handshake_failures_total{listener=\"https\",reason=\"client_certificate\"}"));
    }

    @Test
    void mtlsRoute_noOrUntrustedCertificateIs401_unknownConsumer403_knownConsumerServed() throws Exception {
        String extra = """
                consumers:
                  alice: { groups: [partners] }
                  bob: {}
                auth:
                  mtls: { consumer_from: subject_cn }
                """;
        String yaml = yaml("client_auth: optional\nclient_ca_file: " + dir + "/ca.pem", extra)
                .replace("  - { match: { path_prefix: / }, cluster: app }",
                        "  - { match: { path_prefix: /partners }, cluster: app, auth: { any_of: [mtls], groups: [partners] } }\n"
                                + "  - { match: { path_prefix: / }, cluster: app }");
        start(yaml);
        try (TlsClient none = TlsClient.connect(https(), trustingCa, "api.test")) {
            assertThat(none.get("/partners/x").status()).isEqualTo(401);
            assertThat(none.get("/open").status()).isEqualTo(200);
        }
        TestPki.Issued untrusted = TestPki.client(otherCa, "alice", null, null);
        try (TlsClient c = TlsClient.connect(https(), TlsClient.context(ca.cert(), untrusted), "api.test")) {
            assertThat(c.get("/partners/x").status()).isEqualTo(401);
        }
        TestPki.Issued alice = TestPki.client(ca, "alice", null, null);
        try (TlsClient c = TlsClient.connect(https(), TlsClient.context(ca.cert(), alice), "api.test")) {
            TlsClient.Response r = c.get("/partners/x");
            assertThat(r.status()).isEqualTo(200);
            assertThat(upstream.received().getLast().headers().get("x-consumer-id")).isEqualTo("alice");
        }
        TestPki.Issued bob = TestPki.client(ca, "bob", null, null);
        try (TlsClient c = TlsClient.connect(https(), TlsClient.context(ca.cert(), bob), "api.test")) {
            assertThat(c.get("/partners/x").status()).isEqualTo(403);
        }
        TestPki.Issued mallory = TestPki.client(ca, "mallory", null, null);
        try (TlsClient c = TlsClient.connect(https(), TlsClient.context(ca.cert(), mallory), "api.test")) {
            assertThat(c.get("/partners/x").status()).isEqualTo(403);
        }
        // On the plain listener there is never a certificate.
        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port("http") + "/partners/x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(401);
    }

    @Test
    void reload_swapsTheCertificate_withoutDroppingAnOpenConnection_andABadFileIsRefusedByName() throws Exception {
        start(yaml("", ""));
        TlsClient open = TlsClient.connect(https(), trustingCa, "api.test");
        closing.add(open);
        assertThat(open.get("/before").status()).isEqualTo(200);
        TestPki.write(dir, "api2", TestPki.server(ca, "api2.test", TestPki.rsa(), "api.test"), TestPki.KeyForm.PKCS8);
        String next = yaml("", "").replace(dir + "/api.pem", dir + "/api2.pem").replace(dir + "/api.key",
                dir + "/api2.key");
        Files.writeString(config, next);
        ReloadResult applied = gateway.reload().toCompletableFuture().join();
        assertThat(applied.applied()).as(applied.errors().toString()).isTrue();
        try (TlsClient fresh = TlsClient.connect(https(), fresh(), "api.test")) {
            assertThat(cn(fresh)).isEqualTo("CN=api2.test");
        }
        assertThat(open.get("/after").status()).isEqualTo(200);
        assertThat(cn(open)).isEqualTo("CN=api.test");

        Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n"
                + "-----END CERTIFICATE-----\n");
        Files.writeString(config, next.replace(dir + "/api2.pem", dir + "/broken.pem"));
        ReloadResult refused = gateway.reload().toCompletableFuture().join();
        assertThat(refused.applied()).isFalse();
        assertThat(refused.errors()).anySatisfy(e -> assertThat(e)
                .startsWith("listeners.https.tls.certificates[0].cert_file: ").contains("broken.pem"));
        Files.writeString(config, next.replace(dir + "/api2.key", dir + "/eu.key"));
        ReloadResult mismatched = gateway.reload().toCompletableFuture().join();
        assertThat(mismatched.errors()).anySatisfy(e -> assertThat(e)
                .startsWith("listeners.https.tls.certificates[0].key_file: ").contains("eu.key")
                .contains("not the key of the certificate"));
        try (TlsClient fresh = TlsClient.connect(https(), fresh(), "api.test")) {
            assertThat(cn(fresh)).isEqualTo("CN=api2.test");
            assertThat(fresh.get("/still").status()).isEqualTo(200);
        }
        assertThat(open.get("/last").status()).isEqualTo(200);
    }

    @Test
    void changedFiles_arePickedUp_andABrokenChangeKeepsTheOldCertificate() throws Exception {
        start(yaml("", ""));
        TestPki.write(dir, "api", TestPki.server(ca, "renewed.test", TestPki.ec(), "api.test"),
                TestPki.KeyForm.TRADITIONAL);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            try (TlsClient c = TlsClient.connect(https(), fresh(), "api.test")) {
                assertThat(cn(c)).isEqualTo("CN=renewed.test");
            }
        });
        assertThat(gateway.metrics().scrape())
                .contains("palisade_tls_certificate_file_reloads_total{listener=\"https\",result=\"ok\"} 1.0");
        // A key that does not match: the renewed certificate keeps serving. (The renewal itself may have been seen
        // half written, certificate before key, and refused once: counted from here.)
        double refusedBefore = refusedReloads();
        Files.copy(dir.resolve("eu.key"), dir.resolve("api.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        await().atMost(Duration.ofSeconds(20)).until(() -> refusedReloads() > refusedBefore);
        try (TlsClient c = TlsClient.connect(https(), fresh(), "api.test")) {
            assertThat(cn(c)).isEqualTo("CN=renewed.test");
            assertThat(c.get("/still").status()).isEqualTo(200);
        }
    }

    private double refusedReloads() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "palisade_tls_certificate_file_reloads_total\\{listener=\"https\",result=\"refused\"} (\\S+)")
                .matcher(gateway.metrics().scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void aClientTricklingItsHandshake_isClosedAtTheHeaderReadTimeout() throws Exception {
        start(yaml("", ""));
        try (Socket slow = TlsClient.raw(https())) {
            OutputStream out = slow.getOutputStream();
            InputStream in = slow.getInputStream();
            byte[] hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
            boolean closed = false;
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            for (int i = 0; !closed && System.nanoTime() < until; i++) {
                try {
                    out.write(hello[i % hello.length]);
                    out.flush();
                    slow.setSoTimeout(300);
                    closed = in.read() == -1;
                } catch (java.net.SocketTimeoutException e) {
                    // still open: one more byte
                } catch (IOException e) {
                    closed = true;
                }
            }
            assertThat(closed).as("the gateway closed the trickling client").isTrue();
        }
        assertThat(gateway.metrics().scrape())
                .contains("palisade_tls_handshake_failures_total{listener=\"https\",reason=\"timeout\"}");
        servesStill();
        // Plain HTTP on the TLS port is a failed handshake too, and the gateway goes on.
        try (Socket plain = TlsClient.raw(https())) {
            plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            plain.getOutputStream().flush();
            assertThat(plain.getInputStream().read()).isIn(-1, 0x15);
        } catch (IOException e) {
            // a reset is as good as a close
        }
        servesStill();
    }

    @Test
    void upstreamTls_verifiedByDefault_wrongCaIs502_insecureSkipVerifyServes() throws Exception {
        TestPki.Issued upstreamCert = TestPki.server(ca, "billing.internal", TestPki.ec(), "billing.internal");
        TestUpstream secure = TestUpstream.startTls("secure", SslContextBuilder
                .forServer(upstreamCert.key(), upstreamCert.cert()).build());
        closing.add(secure);
        String clusters = """
                  good: { endpoints: [ "127.0.0.1:%1$d" ], tls: { ca_file: %2$s/ca.pem } }
                  named: { endpoints: [ "127.0.0.1:%1$d" ], tls: { ca_file: %2$s/ca.pem, server_name: billing.internal } }
                  wrongname: { endpoints: [ "127.0.0.1:%1$d" ], tls: { ca_file: %2$s/ca.pem, server_name: other.internal } }
                  wrongca: { endpoints: [ "127.0.0.1:%1$d" ], tls: { ca_file: %2$s/other-ca.pem } }
                  skip: { endpoints: [ "127.0.0.1:%1$d" ], tls: { insecure_skip_verify: true } }
                  checked:
                    endpoints: [ "127.0.0.1:%1$d" ]
                    tls: { ca_file: %2$s/ca.pem }
                    health_check: { path: /healthz, interval: 200ms, timeout: 150ms, healthy_after: 1 }
                  checkedwrong:
                    endpoints: [ "127.0.0.1:%1$d" ]
                    tls: { ca_file: %2$s/other-ca.pem }
                    health_check: { path: /healthz, interval: 200ms, timeout: 150ms, unhealthy_after: 1 }
                """.formatted(secure.port(), dir);
        String yaml = yaml("", "").replace("clusters:\n", "clusters:\n" + clusters)
                .replace("  - { match: { path_prefix: / }, cluster: app }", """
                          - { match: { path_prefix: /good }, cluster: good }
                          - { match: { path_prefix: /named }, cluster: named }
                          - { match: { path_prefix: /wrongname }, cluster: wrongname }
                          - { match: { path_prefix: /wrongca }, cluster: wrongca }
                          - { match: { path_prefix: /skip }, cluster: skip }
                          - { match: { path_prefix: / }, cluster: app }""");
        start(yaml);
        HttpClient client = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + gateway.port("http");
        assertThat(send(client, base + "/good").statusCode()).isEqualTo(200);
        assertThat(send(client, base + "/named").statusCode()).isEqualTo(200);
        HttpResponse<String> wrongCa = send(client, base + "/wrongca");
        assertThat(wrongCa.statusCode()).isEqualTo(502);
        assertThat(wrongCa.body()).contains("upstream_unreachable");
        HttpResponse<String> wrongName = send(client, base + "/wrongname");
        assertThat(wrongName.statusCode()).isEqualTo(502);
        assertThat(send(client, base + "/skip").statusCode()).isEqualTo(200);
        assertThat(send(client, base + "/good").statusCode()).isEqualTo(200);
        assertThat(gateway.metrics().scrape()).contains("palisade_upstream_failures_total{cluster=\"wrongca\",kind=\"tls\"}");
        // Active health checks speak TLS too, verified the same way.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(health("checked")).isEqualTo(io.palisade.upstream.health.HealthState.HEALTHY);
            assertThat(health("checkedwrong")).isEqualTo(io.palisade.upstream.health.HealthState.UNHEALTHY);
        });
    }

    private io.palisade.upstream.health.HealthState health(String cluster) {
        return GatewayAccess.runtime(gateway).snapshot().clusters().cluster(cluster).orElseThrow().endpoints().get(0)
                .health();
    }

    private static HttpResponse<String> send(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void adminPort_takesTheSameTlsBlock() throws Exception {
        String yaml = yaml("", "").replace("admin: { address: 127.0.0.1:0 }", """
                admin:
                  address: 127.0.0.1:0
                  tls:
                    certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ]
                """.formatted(dir));
        start(yaml);
        HttpClient client = HttpClient.newBuilder().sslContext(trustingCa).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + gateway.adminPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }

    @Test
    void aBadCertificateAtStart_isAConfigErrorNamingTheKeyAndFile() throws Exception {
        String yaml = yaml("", "").replace(dir + "/api.pem", dir + "/missing.pem");
        config = dir.resolve("palisade.yaml");
        Files.writeString(config, yaml);
        assertThatThrownBy(() -> ConfigLoader.load(config))
                .isInstanceOf(io.palisade.config.ConfigException.class)
                .satisfies(e -> assertThat(((io.palisade.config.ConfigException) e).errors()).anySatisfy(m ->
                        assertThat(m).startsWith("listeners.https.tls.certificates[0].cert_file: ")
                                .contains("missing.pem").contains("no such file")));
        assertThat(SSLException.class).isNotNull();
    }
}
