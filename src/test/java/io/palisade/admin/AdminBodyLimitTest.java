package io.palisade.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.testing.AdminFixture;
import io.palisade.testing.RawClient;
import io.palisade.testing.RecordingReleaseApi;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A body over 1 MiB gets a JSON 413 and an audit row, and the connection is left in a clean state: still usable when
 * the client sent the whole announced body, closed after a refused {@code Expect: 100-continue} or a body that
 * streamed in without a length.
 */
class AdminBodyLimitTest {
    private static final int TWO_MIB = 2 * 1024 * 1024;
    private AdminFixture admin;
    private RecordingReleaseApi api;

    @BeforeEach
    void start() throws InterruptedException {
        admin = AdminFixture.open();
        api = admin.api;
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private static String head(String more) {
        return "POST /config/versions HTTP/1.1\r\nHost: admin\r\nContent-Type: application/json\r\n" + more + "\r\n";
    }

    private void assertTooLarge(RawClient.Response r) {
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(RecordingReleaseApi.parse(r.body()).get("error").asText()).isEqualTo("body_too_large");
        assertThat(api.calls()).isEmpty();
        assertThat(api.refusals()).singleElement().satisfies(f -> {
            assertThat(f.status()).isEqualTo(413);
            assertThat(f.method()).isEqualTo("POST");
            assertThat(f.path()).isEqualTo("/config/versions");
        });
    }

    @Test
    void twoMiBWithALength_is413_andTheConnectionServesTheNextRequest() throws Exception {
        try (RawClient c = new RawClient(admin.port())) {
            c.send(head("Content-Length: " + TWO_MIB + "\r\n"));
            c.send(body(TWO_MIB));

            assertTooLarge(c.read());
            c.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void twoMiBWithExpectContinue_is413_beforeTheBody_andTheConnectionCloses() throws Exception {
        try (RawClient c = new RawClient(admin.port())) {
            c.send(head("Content-Length: " + TWO_MIB + "\r\nExpect: 100-continue\r\n"));

            RawClient.Response r = c.read();
            assertTooLarge(r);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(AdminHttp.get(admin.port(), "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void aSmallBodyWithExpectContinue_getsTheContinue_andIsServed() throws Exception {
        byte[] body = "{\"yaml\": \"a: 1\"}".getBytes(StandardCharsets.UTF_8);
        try (RawClient c = new RawClient(admin.port())) {
            c.send(head("Content-Length: " + body.length + "\r\nExpect: 100-continue\r\n"));
            assertThat(c.read().status()).isEqualTo(100);
            c.send(body);
            assertThat(c.read().status()).isEqualTo(200);
        }
        assertThat(api.calls("apply")).hasSize(1);
    }

    @Test
    void twoMiBChunked_is413_andTheConnectionCloses() throws Exception {
        try (RawClient c = new RawClient(admin.port())) {
            c.send(head("Transfer-Encoding: chunked\r\n"));
            int chunk = 64 * 1024;
            byte[] data = body(chunk);
            RawClient.Response r = null;
            try {
                for (int sent = 0; sent < TWO_MIB; sent += chunk) {
                    c.send((Integer.toHexString(chunk) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    c.send(data);
                    c.send("\r\n");
                }
                c.send("0\r\n\r\n");
            } catch (java.io.IOException closedWhileSending) {
                // The server closes once it has answered; the 413 is already on its way.
            }
            r = c.read();
            assertTooLarge(r);
            assertThat(r.header("connection")).isEqualTo("close");
        }
        assertThat(AdminHttp.get(admin.port(), "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void twoMiBThroughTheJdkClient_is413() {
        HttpResponse<String> r = AdminHttp.post(admin.port(), "/config/versions",
                new String(body(TWO_MIB), StandardCharsets.ISO_8859_1));

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).contains("body_too_large");
        assertThat(AdminHttp.get(admin.port(), "/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void twoMiBThroughTheJdkClient_withExpectContinue_is413() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(admin.url() + "/config/versions"))
                .timeout(Duration.ofSeconds(20)).expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(TWO_MIB))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).contains("body_too_large");
    }

    @Test
    void exactlyOneMiB_isAccepted() {
        String prefix = "{\"yaml\": \"";
        String suffix = "\"}";
        String yaml = "#".repeat(AdminServer.MAX_REQUEST_BODY - prefix.length() - suffix.length());

        HttpResponse<String> r = AdminHttp.post(admin.port(), "/config/diff", prefix + yaml + suffix);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(api.calls("diff")).singleElement().satisfies(c -> assertThat((String) c.arg(0)).hasSize(
                yaml.length()));
    }

    private static byte[] body(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'x');
        return b;
    }
}
