package io.palisade.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.palisade.testing.FakeTicker;
import io.palisade.testing.RecordingReleaseApi;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the admin API's JSON inputs (incident and maintenance bodies, ingest replay and purge selections, release
 * calls) through the admin pipeline as the server installs it: a method, a path from the API and a body the fuzzer
 * writes, with the token. Every call gets exactly one well-formed answer, never a 500 (a body the API cannot use is
 * a 4xx), and no exception escapes. The corpus is
 * {@code src/test/resources/io/palisade/admin/AdminBodyFuzzTestInputs/bodies}; bin/fuzz fuzzes.
 */
class AdminBodyFuzzTest {
    private static final String TOKEN = "fuzz-admin-token-0123456789";
    private static final List<String> PATHS = List.of("/incidents", "/incidents/inc-1", "/incidents/inc-1/postmortem",
            "/incidents/inc-1/publish", "/maintenances", "/ingest/orders/quarantine",
            "/ingest/orders/quarantine/replay", "/config/rollback", "/config/rollout/promote", "/config/apply",
            "/config/diff", "/audit", "/alerts");
    private static final List<String> METHODS = List.of("POST", "PATCH", "PUT", "DELETE", "GET");
    private static final AdminServer.Pipeline PIPELINE = new AdminServer.Pipeline(new Backend(),
            RecordingReleaseApi.sameThread(), IngestApi.none(), AlertApi.none(), IncidentApi.none(),
            Optional.of(TOKEN), false, new FakeTicker());

    @FuzzTest(maxDuration = "10s")
    void bodies(FuzzedDataProvider data) {
        String method = data.pickValue(METHODS);
        String path = data.pickValue(PATHS) + (data.consumeBoolean() ? "?" + data.consumeString(40) : "");
        byte[] body = data.consumeRemainingAsBytes();
        String head = method + " " + path.replaceAll("[^\\x21-\\x7e]", "_") + " HTTP/1.1\r\nHost: admin\r\n"
                + "Authorization: Bearer " + TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n";
        String response = exchange(head, body);
        assertThat(response).as("one answer to %s", head).startsWith("HTTP/1.1 ");
        int status = Integer.parseInt(response.substring(9, 12));
        assertThat(status).as(response).isBetween(200, 499);
        assertThat(response.indexOf("HTTP/1.1 ", 1)).as("exactly one answer: " + response).isNegative();
    }

    /** Found by this fuzz test: the query's decoder threw, and the connection closed without an answer. */
    @Test
    void aMalformedPercentEscapeInTheQuery_is400_notASilentClose() {
        String response = exchange("PUT /incidents/inc-1/postmortem?_%_C HTTP/1.1\r\nHost: admin\r\n"
                + "Authorization: Bearer " + TOKEN + "\r\nContent-Length: 0\r\n\r\n", new byte[0]);
        assertThat(response).startsWith("HTTP/1.1 400 ").contains("malformed_request");
    }

    private static String exchange(String head, byte[] body) {
        EmbeddedChannel ch = new EmbeddedChannel();
        PIPELINE.install(ch.pipeline());
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.ISO_8859_1), body));
            ch.runPendingTasks();
            ch.checkException();
            StringBuilder out = new StringBuilder();
            for (Object o; (o = ch.readOutbound()) != null; ) {
                ByteBuf b = (ByteBuf) o;
                out.append(b.toString(StandardCharsets.ISO_8859_1));
                b.release();
            }
            return out.toString();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static final class Backend implements AdminBackend {
        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public String metrics() {
            return "";
        }

        @Override
        public JsonNode config() {
            return Responses.JSON.createObjectNode();
        }

        @Override
        public JsonNode clusters() {
            return Responses.JSON.createObjectNode();
        }

        @Override
        public CompletionStage<ReloadResult> reload() {
            return CompletableFuture.completedFuture(ReloadResult.applied("x"));
        }
    }
}
