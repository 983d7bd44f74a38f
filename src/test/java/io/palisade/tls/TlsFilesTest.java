package io.palisade.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Certificate and key files as a listener reads them: forms, mismatches, and what is offered. */
class TlsFilesTest {
    @TempDir
    Path dir;

    private static TlsSettings one(TestPki.Files2 f, String minVersion, List<String> alpn) {
        return new TlsSettings(List.of(new TlsSettings.CertificateFiles(f.cert(), f.key())), minVersion, alpn,
                TlsSettings.ClientAuth.NONE, Optional.empty());
    }

    @ParameterizedTest
    @CsvSource({"RSA, PKCS8", "RSA, TRADITIONAL", "EC, PKCS8", "EC, TRADITIONAL"})
    void keysInEachForm_loadAndMatchTheirCertificate(String algorithm, TestPki.KeyForm form) throws Exception {
        TestPki.Issued ca = TestPki.ca("ca");
        TestPki.Files2 f = TestPki.write(dir, "s", TestPki.server(ca, "s.test",
                algorithm.equals("RSA") ? TestPki.rsa() : TestPki.ec(), "s.test"), form);
        assertThat(Files.readString(f.key())).contains(form == TestPki.KeyForm.PKCS8 ? "BEGIN PRIVATE KEY"
                : "BEGIN " + algorithm + " PRIVATE KEY");
        CertifiedKey key = CertifiedKey.load(new TlsSettings.CertificateFiles(f.cert(), f.key()));
        assertThat(key.dnsNames()).containsExactly("s.test");
        ServerContexts.build(one(f, TlsSettings.TLS_1_2, List.of(TlsSettings.HTTP_1_1)), false, Instant.now());
    }

    @Test
    void aKeyOfAnotherCertificate_isRefusedOnTheKeyFile() {
        TestPki.Issued ca = TestPki.ca("ca");
        TestPki.Files2 a = TestPki.write(dir, "a", TestPki.server(ca, "a", TestPki.ec(), "a.test"),
                TestPki.KeyForm.PKCS8);
        TestPki.Files2 b = TestPki.write(dir, "b", TestPki.server(ca, "b", TestPki.ec(), "b.test"),
                TestPki.KeyForm.PKCS8);
        assertThatThrownBy(() -> ServerContexts.build(one(new TestPki.Files2(a.cert(), b.key()), "TLSv1.2",
                List.of("http/1.1")), false, Instant.now()))
                .isInstanceOf(TlsFileException.class)
                .satisfies(e -> {
                    assertThat(((TlsFileException) e).key()).isEqualTo("certificates[0].key_file");
                    assertThat(e.getMessage()).contains("b.key").contains("not the key of the certificate in")
                            .contains("a.pem");
                });
    }

    @Test
    void unreadableOrWrongFiles_nameTheFile() throws Exception {
        TestPki.Issued ca = TestPki.ca("ca");
        TestPki.Files2 a = TestPki.write(dir, "a", TestPki.server(ca, "a", TestPki.ec(), "a.test"),
                TestPki.KeyForm.PKCS8);
        Path notPem = dir.resolve("x.pem");
        Files.writeString(notPem, "hello");
        assertThatThrownBy(() -> CertifiedKey.load(new TlsSettings.CertificateFiles(notPem, a.key())))
                .hasMessageContaining("x.pem: not PEM");
        assertThatThrownBy(() -> CertifiedKey.load(new TlsSettings.CertificateFiles(a.key(), a.key())))
                .hasMessageContaining("a.key: no PEM certificate");
        assertThatThrownBy(() -> CertifiedKey.load(new TlsSettings.CertificateFiles(a.cert(), a.cert())))
                .hasMessageContaining("a.pem: no PEM private key");
        Path encrypted = dir.resolve("enc.key");
        Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> CertifiedKey.load(new TlsSettings.CertificateFiles(a.cert(), encrypted)))
                .hasMessageContaining("encrypted");
    }

    @Test
    void anExpiredCertificate_servesWithAWarning() throws Exception {
        TestPki.Issued ca = TestPki.ca("ca");
        TestPki.Files2 old = TestPki.write(dir, "old", TestPki.server(ca, "old", TestPki.ec(),
                Instant.now().minus(Duration.ofDays(2)), "old.test"), TestPki.KeyForm.PKCS8);
        ServerContexts c = ServerContexts.build(one(old, "TLSv1.2", List.of("http/1.1")), false, Instant.now());
        assertThat(c.warnings()).singleElement().asString().contains("old.pem").contains("expired");
    }

    @Test
    void h2IsOfferedOnlyWithAnHttp2Branch_andOnlyStrongSuitesAndVersions() throws Exception {
        TestPki.Issued ca = TestPki.ca("ca");
        TestPki.Files2 f = TestPki.write(dir, "s", TestPki.server(ca, "s", TestPki.rsa(), "s.test"),
                TestPki.KeyForm.PKCS8);
        TlsSettings settings = one(f, "TLSv1.2", List.of("h2", "http/1.1"));
        assertThat(ServerContexts.build(settings, false, Instant.now()).offeredProtocols())
                .containsExactly("http/1.1");
        ServerContexts withH2 = ServerContexts.build(settings, true, Instant.now());
        assertThat(withH2.offeredProtocols()).containsExactly("h2", "http/1.1");
        SSLEngine engine = withH2.defaultContext().newEngine(ByteBufAllocator.DEFAULT);
        try {
            // SSLv2Hello is the name of a hello format OpenSSL engines list, not a protocol version.
            assertThat(engine.getEnabledProtocols()).contains("TLSv1.2", "TLSv1.3")
                    .doesNotContain("TLSv1", "TLSv1.1", "SSLv3");
            assertThat(engine.getEnabledCipherSuites()).isNotEmpty().allSatisfy(s -> assertThat(s)
                    .matches("TLS_(AES|CHACHA20).*|TLS_(ECDHE_RSA|ECDHE_ECDSA|DHE_RSA)_WITH_(AES_\\d+_GCM|CHACHA20_POLY1305)_SHA\\d+"));
        } finally {
            io.netty.util.ReferenceCountUtil.release(engine);
        }
    }

    @Test
    void theSchemaNamesEveryKeyTheReadersRead() throws Exception {
        com.fasterxml.jackson.databind.JsonNode schema = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Path.of("schema/palisade.schema.json").toFile());
        java.util.Set<String> server = new java.util.HashSet<>();
        schema.at("/$defs/listenerTls/properties").fieldNames().forEachRemaining(server::add);
        java.util.Set<String> upstream = new java.util.HashSet<>();
        schema.at("/$defs/upstreamTls/properties").fieldNames().forEachRemaining(upstream::add);
        assertThat(server).isEqualTo(TlsReader.SERVER_KEYS);
        assertThat(upstream).isEqualTo(TlsReader.UPSTREAM_KEYS);
    }
}
