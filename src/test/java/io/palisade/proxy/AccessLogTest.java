package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.palisade.config.Address;
import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AccessLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static AccessLog.JsonLine line() {
        return new AccessLog.JsonLine();
    }

    @Test
    void time_isWrittenAsInstantToString() throws Exception {
        AccessLog.JsonLine out = line();
        List<Instant> instants = List.of(Instant.parse("2026-11-22T05:43:00Z"),
                Instant.parse("2026-11-22T05:43:07.100Z"), Instant.parse("2026-11-22T05:43:07.123456Z"),
                Instant.parse("2026-11-22T05:43:07.000000001Z"), Instant.parse("2026-11-22T05:43:08.5Z"),
                Instant.parse("1999-01-01T00:00:00.010Z"), Instant.parse("+12000-01-01T00:00:00Z"), Instant.now());
        for (Instant t : instants) {
            out.size = 0;
            out.time(t);
            assertThat(out.text()).isEqualTo("\"" + t + "\"");
        }
    }

    @Test
    void strings_areEscapedAndEncodedAsJson() throws Exception {
        String[] values = {"/plain", "quote\" back\\slash", "tab\tnl\ncr\rbell\u0007 del\u007f", "caf\u00e9 \u20ac",
            "emoji \ud83d\ude00", "lone \ud83d surrogate", ""};
        for (String v : values) {
            AccessLog.JsonLine out = line();
            out.json.writeStartObject();
            out.json.writeFieldName("p");
            out.string(v, "");
            out.json.writeFieldName("q");
            out.string("/a", v);
            out.json.writeEndObject();
            JsonNode node = JSON.readTree(out.text());
            assertThat(node.get("p").asText()).isEqualTo(v);
            assertThat(node.get("q").asText()).isEqualTo(v.isEmpty() ? "/a" : "/a?" + v);
        }
    }

    @Test
    void pathAndQuery() throws Exception {
        AccessLog.JsonLine out = line();
        out.json.writeStartObject();
        out.json.writeFieldName("p");
        out.string("/a", "");
        out.json.writeFieldName("q");
        out.string("/a", "x=\"1\"");
        out.json.writeEndObject();
        JsonNode node = JSON.readTree(out.text());
        assertThat(node.get("p").asText()).isEqualTo("/a");
        assertThat(node.get("q").asText()).isEqualTo("/a?x=\"1\"");
    }

    private static Outcome outcome(String endpoint, String consumer, Optional<ErrorKind> error, int attempts,
                                   String upstreamFailure) {
        return new Outcome("req-1", "v7", 0, "10.1.2.3", "POST", "/orders/1", "x=\"1\"", "orders", "eu", endpoint,
                consumer, 502, Outcome.Ending.ANSWERED, error, 12, 345, 2_500_000, 1_250_000, attempts,
                upstreamFailure);
    }

    @Test
    void outcome_isOneJsonLine_withEveryFieldTheLogPrints() throws Exception {
        AccessLog.JsonLine out = line();
        Instant before = Instant.now();
        assertThat(out.write(outcome(new Address("::1", 80).toString(), "tenant-a",
                Outcome.errorOf(ErrorKind.UPSTREAM_RESET), 3, "reset"))).isTrue();
        String text = out.text();
        assertThat(text).endsWith("}\n").hasLineCount(1);
        JsonNode line = JSON.readTree(text);
        assertThat(Instant.parse(line.get("time").asText())).isBetween(before, Instant.now());
        assertThat(line.get("request_id").asText()).isEqualTo("req-1");
        assertThat(line.get("client").asText()).isEqualTo("10.1.2.3");
        assertThat(line.get("method").asText()).isEqualTo("POST");
        assertThat(line.get("path").asText()).isEqualTo("/orders/1?x=\"1\"");
        assertThat(line.get("route").asText()).isEqualTo("orders");
        assertThat(line.get("cluster").asText()).isEqualTo("eu");
        assertThat(line.get("endpoint").asText()).isEqualTo(new Address("::1", 80).toString());
        assertThat(line.get("consumer").asText()).isEqualTo("tenant-a");
        assertThat(line.get("status").asInt()).isEqualTo(502);
        assertThat(line.get("error").asText()).isEqualTo("upstream_reset");
        assertThat(line.get("bytes_in").asLong()).isEqualTo(12);
        assertThat(line.get("bytes_out").asLong()).isEqualTo(345);
        assertThat(line.get("duration_ms").decimalValue()).isEqualByComparingTo("2.5");
        assertThat(line.get("upstream_ms").decimalValue()).isEqualByComparingTo("1.25");
        assertThat(line.get("attempts").asInt()).isEqualTo(3);
        assertThat(line.get("upstream_failure").asText()).isEqualTo("reset");
    }

    @Test
    void outcome_withoutClusterEndpointConsumerErrorOrRetries_leavesThemOut() throws Exception {
        AccessLog.JsonLine out = line();
        assertThat(out.write(outcome("", "", Optional.empty(), 1, ""))).isTrue();
        JsonNode line = JSON.readTree(out.text());
        assertThat(line.has("endpoint")).isFalse();
        assertThat(line.has("consumer")).isFalse();
        assertThat(line.has("error")).isFalse();
        assertThat(line.has("attempts")).isFalse();
        assertThat(line.has("upstream_failure")).isFalse();
    }

    @Test
    void apiKeyQueryParameter_isRedacted_asTheKeyReaderNamesIt_andTheRestKept() {
        String[][] cases = {
            {"api_key=pk_secret", "api_key=<redacted>"},
            {"a=1&api_key=pk_secret&b=2", "a=1&api_key=<redacted>&b=2"},
            {"api_key=one&api_key=two", "api_key=<redacted>&api_key=<redacted>"},
            {"api%5Fkey=pk_secret&x=%20", "api%5Fkey=<redacted>&x=%20"},
            {"api_key", "api_key"},
            {"my_api_key=kept&api_keys=kept&x=api_key", "my_api_key=kept&api_keys=kept&x=api_key"},
            {"a=1&&api_key=s&", "a=1&&api_key=<redacted>&"},
            {"bad%zz=1&api_key=s", "bad%zz=1&api_key=<redacted>"},
            {"q=+&p=%41", "q=+&p=%41"}};
        for (String[] c : cases) {
            assertThat(QueryRedaction.redact(c[0], "api_key")).as(c[0]).isEqualTo(c[1]);
        }
        String query = "api_key=pk_secret";
        assertThat(QueryRedaction.redact(query, null)).as("no query parameter configured").isSameAs(query);
        String plain = "page=2&sort=asc";
        assertThat(QueryRedaction.redact(plain, "api_key")).as("nothing to redact: no copy").isSameAs(plain);
    }

    @Test
    void linesBeyondWhatIsWaiting_areDroppedAndCounted_notQueued() throws Exception {
        java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
        java.io.OutputStream stuck = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                synchronized (written) {
                    written.write(b, off, len);
                }
            }
        };
        AccessLog log = AccessLog.to(stuck);
        try {
            log.handOver("first\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 1);
            writing.await(); // the writer holds "first" and waits on the stream; nothing is queued
            byte[] many = new byte[65_536];
            java.util.Arrays.fill(many, (byte) '\n');
            log.handOver(many, 65_536);
            log.handOver("over\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 1);
            assertThat(log.dropped()).isEqualTo(1);
        } finally {
            release.countDown();
            log.close();
        }
        synchronized (written) {
            assertThat(written.toString(java.nio.charset.StandardCharsets.US_ASCII)).startsWith("first\n")
                    .doesNotContain("over").hasSize(6 + 65_536);
        }
    }

    @Test
    void aFailingWrite_dropsAndCountsItsLines_theWriterGoesOn_andClosingClosesTheStream() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
        java.io.OutputStream disk = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
                if (failing.get()) {
                    throw new java.io.IOException("No space left on device");
                }
                written.write(b, off, len);
            }

            @Override
            public void close() {
                closed.countDown();
            }
        };
        AccessLog log = AccessLog.to(disk);
        try {
            log.handOver("lost\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 1);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> log.dropped() == 1);
            failing.set(false); // the disk has room again
            log.handOver("kept\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 1);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
                synchronized (disk) {
                    return written.toString(java.nio.charset.StandardCharsets.US_ASCII).equals("kept\n");
                }
            });
        } finally {
            log.close();
        }
        assertThat(closed.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(log.dropped()).isEqualTo(1);
    }

    @Test
    void millis_areTheExactDecimalOfTheNanoseconds() throws Exception {
        long[] nanos = {0, 1, 123, 1_000_000, 1_500_000, 123_456_789, 2_000_000_000L, 86_400_000_000_123L, -2_500_000};
        for (long n : nanos) {
            AccessLog.JsonLine out = line();
            out.millis(n);
            String text = out.text();
            assertThat(text).matches("-?\\d+\\.\\d*[1-9]|-?\\d+\\.0");
            assertThat(new java.math.BigDecimal(text))
                    .isEqualByComparingTo(java.math.BigDecimal.valueOf(n).movePointLeft(6));
            assertThat(JSON.readTree(text).asDouble()).isEqualTo(n / 1e6);
        }
    }
}
