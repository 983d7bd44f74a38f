package io.palisade.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.error.ErrorKind;
import io.palisade.proxy.IngestTarget;
import io.palisade.route.IngestAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ingest service on a real store: opening in the background, the budgets, duplicates. */
class IngestServiceTest {
    private static final IngestAction ACTION = new IngestAction("nowhere", 1024 * 1024, 2048, true,
            List.of("Content-Type"), new IngestAction.Retry(Duration.ofSeconds(1), Duration.ofSeconds(1), 1,
                    Duration.ofHours(1)), 1);

    @TempDir
    Path dir;

    private static IngestTarget.Submission submission(String body, Optional<String> key) {
        return new IngestTarget.Submission("track", "POST", "/v1/track", "", List.of(), Optional.empty(),
                body.getBytes(StandardCharsets.UTF_8), key);
    }

    private static IngestTarget.Result accept(IngestService s, String body, Optional<String> key) throws Exception {
        return s.accept(submission(body, key)).toCompletableFuture().get();
    }

    @Test
    void aStoreThatCannotOpen_answersUnavailable_andOpensByItselfOnceItCan() throws Exception {
        Files.createDirectories(dir.resolve(IngestService.FILE)); // a directory where the file must be
        try (IngestService s = IngestService.start(dir, IngestSettings.DEFAULTS, name -> Optional.empty(),
                Clock.systemUTC())) {
            s.configure(IngestSettings.DEFAULTS, Map.of("track", ACTION));

            assertThat(s.admit("track", 10)).hasValueSatisfying(r -> assertThat(r.kind())
                    .isEqualTo(ErrorKind.INGEST_UNAVAILABLE));
            assertThat(accept(s, "x", Optional.empty())).isEqualTo(new IngestTarget.Refused(
                    ErrorKind.INGEST_UNAVAILABLE, IngestService.UNAVAILABLE_RETRY_AFTER_SECONDS));
            await().atMost(Duration.ofSeconds(30)).until(() -> !s.status().toCompletableFuture().get().problem()
                    .isEmpty());
            assertThat(s.state()).isEqualTo(IngestService.State.OPENING);

            Files.delete(dir.resolve(IngestService.FILE));
            await().atMost(Duration.ofSeconds(30)).until(() -> s.state() == IngestService.State.READY);
            assertThat(accept(s, "x", Optional.empty())).isInstanceOf(IngestTarget.Accepted.class);
        }
    }

    @Test
    void theQuota_refusesBeforeTheWrite_andADuplicateGivesItsReservationBack() throws Exception {
        try (IngestService s = IngestService.start(dir, IngestSettings.DEFAULTS, name -> Optional.empty(),
                Clock.systemUTC())) {
            s.configure(IngestSettings.DEFAULTS, Map.of("track", ACTION));
            await().atMost(Duration.ofSeconds(30)).until(() -> s.state() == IngestService.State.READY);
            String body = "b".repeat(600);

            IngestTarget.Result first = accept(s, body, Optional.of("k1"));
            IngestTarget.Result again = accept(s, body, Optional.of("k1"));
            IngestTarget.Result second = accept(s, body, Optional.empty());
            IngestTarget.Result third = accept(s, body, Optional.empty());

            assertThat(first).isInstanceOf(IngestTarget.Accepted.class);
            assertThat(again).isEqualTo(new IngestTarget.Accepted(((IngestTarget.Accepted) first).id(), true));
            assertThat(second).isInstanceOf(IngestTarget.Accepted.class);
            assertThat(third).isEqualTo(new IngestTarget.Refused(ErrorKind.INGEST_FULL,
                    IngestService.FULL_RETRY_AFTER_SECONDS));
            assertThat(s.admit("track", 2048)).hasValueSatisfying(r -> assertThat(r.kind())
                    .isEqualTo(ErrorKind.INGEST_FULL));
            IngestService.RouteStatus r = s.routes().get(0);
            assertThat(r.accepted()).isEqualTo(2);
            assertThat(r.duplicates()).isEqualTo(1);
            long head = "POST".length() + "/v1/track".length();
            assertThat(r.bytes()).isEqualTo(2 * (IngestService.RECORD_OVERHEAD + 600 + head) + "k1".length());
        }
        // The stored records count again after a restart: the budget is rebuilt from the store.
        try (IngestService s = IngestService.start(dir, IngestSettings.DEFAULTS, name -> Optional.empty(),
                Clock.systemUTC())) {
            s.configure(IngestSettings.DEFAULTS, Map.of("track", ACTION));
            await().atMost(Duration.ofSeconds(30)).until(() -> s.state() == IngestService.State.READY);
            assertThat(accept(s, "b".repeat(600), Optional.empty())).isInstanceOf(IngestTarget.Refused.class);
            assertThat(s.routes().get(0).backlog()).isEqualTo(2);
        }
    }

    @Test
    void utf8Lengths_matchTheEncoder() {
        for (String text : List.of("", "plain", "caf\u00e9", "\u20ac1", "emoji \uD83D\uDE00", "lone \uD800 surrogate")) {
            assertThat(IngestService.utf8(text)).as(text)
                    .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }
}
