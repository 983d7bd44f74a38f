package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.TestUpstream;
import io.palisade.tls.TestPki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 over TLS: a listener whose {@code tls.alpn} lists {@code h2} serves HTTP/2 to clients that choose it (the
 * JDK's client, and curl), each stream one request through the routes, and HTTP/1.1 to those that do not.
 */
class Http2TlsTest {
    @TempDir
    Path dir;
    private Gateway gateway;
    private TestUpstream upstream;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void alpnH2_servesHttp2Streams_andHttp11ToOthers() throws Exception {
        upstream = TestUpstream.start("app");
        TestPki.Issued ca = TestPki.ca("Palisade Test CA");
        TestPki.write(dir, "api", TestPki.server(ca, "localhost", TestPki.ec(), "localhost"), TestPki.KeyForm.PKCS8);
        Path caFile = TestPki.writeCert(dir, "ca", ca.cert());
        Path config = dir.resolve("palisade.yaml");
        Files.writeString(config, """
                listeners:
                  https:
                    address: 127.0.0.1:0
                    tls:
                      certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ]
                      alpn: [h2, http/1.1]
                    http2: { max_concurrent_streams: 50 }
                admin: { address: 127.0.0.1:0 }
                access_log: { enabled: false }
                clusters:
                  app: { endpoints: [ "%2$s" ] }
                routes:
                  - { match: { path_prefix: /api }, cluster: app }
                """.formatted(dir, upstream.address()));
        gateway = Gateway.start(config, dir.resolve("state"));
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        String base = "https://localhost:" + gateway.port("https");

        HttpClient h2 = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(h2.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/" + i)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        }
        assertThat(h2.send(HttpRequest.newBuilder(URI.create(base + "/nothing")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);

        HttpClient h1 = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> r1 = h1.send(HttpRequest.newBuilder(URI.create(base + "/api/one")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r1.statusCode()).isEqualTo(200);
        assertThat(r1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(upstream.received()).last().satisfies(r ->
                assertThat(r.headers().get("X-Forwarded-Proto")).isEqualTo("https"));

        // curl, as a person would try it.
        Process curl = new ProcessBuilder("curl", "-sS", "--http2", "--cacert", caFile.toString(), "-o", "/dev/null",
                "-w", "%{http_version} %{http_code}", base + "/api/curl").redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes()).strip();
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("2 200");
    }
}
