package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.TestUpstream;
import io.palisade.tls.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listener with {@code proxy_protocol: true} behind a TCP load balancer: the PROXY header (v1 and v2, before TLS
 * too) names the client for per-IP limits and {@code X-Forwarded-For}; a connection without one, or with a malformed
 * one, is closed before anything is read, and the listener keeps serving.
 */
class ProxyProtocolGatewayTest {
    @TempDir
    Path dir;
    private TestUpstream upstream;
    private Gateway gateway;
    private Path caFile;

    @BeforeEach
    void start() throws Exception {
        upstream = TestUpstream.start("app");
        TestPki.Issued ca = TestPki.ca("Palisade Test CA");
        TestPki.write(dir, "api", TestPki.server(ca, "localhost", TestPki.ec(), "localhost"), TestPki.KeyForm.PKCS8);
        caFile = TestPki.writeCert(dir, "ca", ca.cert());
        Path config = dir.resolve("palisade.yaml");
        Files.writeString(config, """
                listeners:
                  lb: { address: 127.0.0.1:0, proxy_protocol: true }
                  lbtls:
                    address: 127.0.0.1:0
                    proxy_protocol: true
                    tls: { certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ] }
                admin: { address: 127.0.0.1:0 }
                access_log: { enabled: false }
                clusters:
                  app: { endpoints: [ "%2$s" ] }
                routes:
                  - match: { path_prefix: / }
                    cluster: app
                    rate_limits: [ { key: ip, rate: 2/m, name: per-ip } ]
                """.formatted(dir, upstream.address()));
        gateway = Gateway.start(config, dir.resolve("state"));
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
    }

    private static final String GET = "GET /x HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n";

    /** Sends {@code header} then a GET on a new connection; returns the status line, or "" when closed unanswered. */
    private String send(int port, byte[] header) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(header);
            s.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            return statusLine(s.getInputStream());
        }
    }

    private static String statusLine(InputStream in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            out.write(b);
        }
        return out.toString(StandardCharsets.US_ASCII).strip();
    }

    private static byte[] v1(String client) {
        return ("PROXY TCP4 " + client + " 127.0.0.1 40000 443\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 header: signature, PROXY command, TCP over IPv4, then source and destination addresses and ports. */
    private static byte[] v2(int a, int b, int c, int d) {
        byte[] sig = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(sig);
        out.write(0x21); // version 2, PROXY
        out.write(0x11); // AF_INET, STREAM
        out.write(0);
        out.write(12);
        out.writeBytes(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d, 127, 0, 0, 1, (byte) 0x9c, 0x40, 1,
            (byte) 0xbb});
        return out.toByteArray();
    }

    @Test
    void theHeaderNamesTheClient_forPerIpLimitsAndForwardedFor() throws Exception {
        int port = gateway.port("lb");
        assertThat(send(port, v1("203.0.113.9"))).isEqualTo("HTTP/1.1 200 OK");
        assertThat(send(port, v2(203, 0, 113, 9))).isEqualTo("HTTP/1.1 200 OK");
        assertThat(send(port, v1("203.0.113.9"))).as("its third within the minute").startsWith("HTTP/1.1 429");
        assertThat(send(port, v1("198.51.100.4"))).as("another client").isEqualTo("HTTP/1.1 200 OK");
        assertThat(upstream.received().get(0).headers().get("X-Forwarded-For")).isEqualTo("203.0.113.9");
    }

    @Test
    void noHeader_orAMalformedOne_closesTheConnectionUnanswered_andTheListenerServesOn() throws Exception {
        int port = gateway.port("lb");
        assertThat(send(port, new byte[0])).as("a client that reached the listener directly").isEmpty();
        assertThat(send(port, "PROXY TCP4 not-an-ip 127.0.0.1 1 2\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isEmpty();
        assertThat(send(port, "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII)))
                .as("UNKNOWN: the balancer could not tell; the peer stands").isEqualTo("HTTP/1.1 200 OK");
        assertThat(upstream.received()).hasSize(1);
        assertThat(send(port, v1("192.0.2.1"))).isEqualTo("HTTP/1.1 200 OK");
    }

    @Test
    void theHeaderComesBeforeTls() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(caFile)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        int port = gateway.port("lbtls");
        try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), port)) {
            raw.setSoTimeout(30_000);
            raw.getOutputStream().write(v1("203.0.113.77"));
            try (SSLSocket tls = (SSLSocket) ssl.getSocketFactory().createSocket(raw, "localhost", port, true)) {
                tls.startHandshake();
                tls.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
                assertThat(statusLine(tls.getInputStream())).isEqualTo("HTTP/1.1 200 OK");
            }
        }
        assertThat(upstream.received()).last().satisfies(r -> {
            assertThat(r.headers().get("X-Forwarded-For")).isEqualTo("203.0.113.77");
            assertThat(r.headers().get("X-Forwarded-Proto")).isEqualTo("https");
        });
    }
}
