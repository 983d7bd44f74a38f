package io.palisade.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.palisade.notify.WebhookNotifier.Policy;
import io.palisade.notify.WebhookSettings.Subscriber;
import io.palisade.status.Actor;
import io.palisade.status.ComponentStatus;
import io.palisade.status.IncidentBook;
import io.palisade.status.IncidentStatus;
import io.palisade.status.IncidentStore;
import io.palisade.status.NewIncident;
import io.palisade.store.StateStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbox and its sender against real receivers on loopback and a real SQLite store. */
class WebhookNotifierTest {
    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final Policy FAST = new Policy(Duration.ofSeconds(4), Duration.ofMinutes(1), Duration.ofHours(1),
            Duration.ofMillis(50));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(T0);
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    /** What a receiver got. */
    record Received(String id, String timestamp, String signature, String body) {
        boolean verifies() {
            return WebhookSigner.of(WebhookSignerTest.SECRET).orElseThrow().verify(id, Long.parseLong(timestamp),
                    body, signature);
        }
    }

    /** A receiver answering each request with the next queued status, 200 once the queue is empty. */
    static final class Receiver implements AutoCloseable {
        final HttpServer server;
        final List<Received> got = new CopyOnWriteArrayList<>();
        final ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();

        Receiver(Integer... answers) throws IOException {
            this.answers.addAll(List.of(answers));
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", ex -> {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                got.add(new Received(ex.getRequestHeaders().getFirst("webhook-id"),
                        ex.getRequestHeaders().getFirst("webhook-timestamp"),
                        ex.getRequestHeaders().getFirst("webhook-signature"), body));
                Integer status = this.answers.poll();
                ex.sendResponseHeaders(status == null ? 200 : status, -1);
                ex.close();
            });
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    static final class FakeClock extends Clock {
        private volatile Instant now;

        FakeClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        closing.add(c);
        return c;
    }

    private StateStore store() {
        return closing(StateStore.embedded(dir));
    }

    private static Subscriber subscriber(URI url) {
        return new Subscriber("webhooks[0]", url, WebhookSignerTest.SECRET, Duration.ofSeconds(5));
    }

    private WebhookNotifier notifier(StateStore store, URI... urls) {
        WebhookSettings settings = new WebhookSettings(java.util.Arrays.stream(urls).map(
                WebhookNotifierTest::subscriber).toList());
        return closing(WebhookNotifier.start(settings, "Acme API", Map.of("orders", "Orders API"), store, clock,
                FAST));
    }

    private IncidentBook book(WebhookNotifier notifier) {
        IncidentBook book = new IncidentBook(List.of("orders"), IncidentStore.inMemory(), clock);
        book.addListener(notifier);
        return book;
    }

    private static void open(IncidentBook book, boolean publish) {
        book.open(new NewIncident("Checkout errors", "Looking into failed orders.", IncidentStatus.INVESTIGATING,
                Optional.empty(), Map.of("orders", ComponentStatus.PARTIAL_OUTAGE), publish), Actor.person("ana"));
    }

    @Test
    void anOpenedIncidentSendsASignedIncidentAndComponentWebhook_aDraftNothing() throws Exception {
        Receiver r = closing(new Receiver());
        IncidentBook book = book(notifier(store(), r.url()));
        open(book, false);
        open(book, true);
        await().atMost(Duration.ofSeconds(20)).until(() -> r.got.size() >= 2);
        assertThat(r.got).hasSize(2).allMatch(Received::verifies);
        assertThat(r.got.get(0).timestamp()).isEqualTo(Long.toString(T0.getEpochSecond()));
        JsonNode incident = JSON.readTree(r.got.get(0).body());
        assertThat(incident.path("meta").path("event_type").asText()).isEqualTo("incident.opened");
        assertThat(incident.path("page").path("name").asText()).isEqualTo("Acme API");
        assertThat(incident.path("incident").path("status").asText()).isEqualTo("investigating");
        assertThat(incident.path("incident").path("impact").asText()).isEqualTo("major");
        assertThat(incident.path("incident").path("incident_updates").get(0).path("affected_components").get(0)
                .path("new_status").asText()).isEqualTo("partial_outage");
        JsonNode component = JSON.readTree(r.got.get(1).body());
        assertThat(component.path("component_update").path("old_status").asText()).isEqualTo("operational");
        assertThat(component.path("component_update").path("new_status").asText()).isEqualTo("partial_outage");
        assertThat(component.path("component").path("name").asText()).isEqualTo("Orders API");
        assertThat(r.got.get(0).id()).isNotEqualTo(r.got.get(1).id()).startsWith("msg_");
    }

    @Test
    void a503IsRetriedWithTheSameIdAfterTheBackoff_a400GivesUp() throws Exception {
        Receiver r = closing(new Receiver(503, 400));
        StateStore store = store();
        open(book(notifier(store, r.url())), true);
        await().atMost(Duration.ofSeconds(20)).until(() -> r.got.size() >= 2);
        String first = r.got.get(0).id();
        // the second message (component) got the 400 and is given up; the first waits at least 2 s (half of 4 s)
        await().atMost(Duration.ofSeconds(20)).until(() -> store.dueWebhooks(clock.instant().plusSeconds(1), 10)
                .isEmpty());
        assertThat(store.dueWebhooks(clock.instant().plusSeconds(4), 10)).singleElement()
                .satisfies(m -> assertThat(m.id()).isEqualTo(first));
        clock.advance(Duration.ofSeconds(4));
        await().atMost(Duration.ofSeconds(20)).until(() -> r.got.size() >= 3);
        assertThat(r.got.get(2).id()).isEqualTo(first);
        assertThat(r.got.get(2).verifies()).isTrue();
        await().atMost(Duration.ofSeconds(20)).until(() -> store.dueWebhooks(clock.instant().plusSeconds(3600), 10)
                .isEmpty());
    }

    @Test
    void a410DisablesThatSubscriberOnly() throws Exception {
        Receiver gone = closing(new Receiver(410));
        Receiver fine = closing(new Receiver());
        StateStore store = store();
        IncidentBook book = book(notifier(store, gone.url(), fine.url()));
        open(book, true);
        await().atMost(Duration.ofSeconds(20)).until(() -> fine.got.size() >= 2);
        await().atMost(Duration.ofSeconds(20)).until(() -> store.disabledWebhookSubscribers()
                .contains(gone.url().toString()));
        open(book, true);
        await().atMost(Duration.ofSeconds(20)).until(() -> fine.got.size() >= 4);
        clock.advance(Duration.ofHours(2));
        assertThat(store.dueWebhooks(clock.instant(), 10)).isEmpty();
        assertThat(gone.got).hasSize(1);
    }

    @Test
    void messagesSurviveARestart() throws Exception {
        Receiver r = closing(new Receiver());
        URI url = r.url();
        r.close(); // nobody listens: connection refused, retried
        StateStore store = StateStore.embedded(dir);
        WebhookNotifier first = WebhookNotifier.start(new WebhookSettings(List.of(subscriber(url))), "Acme API",
                Map.of(), store, clock, FAST);
        open(book(first), true);
        await().atMost(Duration.ofSeconds(20)).until(() -> !store.dueWebhooks(clock.instant().plusSeconds(60), 10)
                .isEmpty() && store.dueWebhooks(clock.instant(), 10).isEmpty());
        first.close();
        store.close();

        HttpServer again = HttpServer.create(new InetSocketAddress("127.0.0.1", url.getPort()), 0);
        List<Received> got = new CopyOnWriteArrayList<>();
        again.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            got.add(new Received(ex.getRequestHeaders().getFirst("webhook-id"),
                    ex.getRequestHeaders().getFirst("webhook-timestamp"),
                    ex.getRequestHeaders().getFirst("webhook-signature"), body));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        again.start();
        closing(() -> again.stop(0));
        StateStore reopened = store();
        notifier(reopened, url);
        clock.advance(Duration.ofMinutes(5));
        await().atMost(Duration.ofSeconds(20)).until(() -> got.size() >= 2);
        assertThat(got).allMatch(Received::verifies);
        await().atMost(Duration.ofSeconds(20)).until(() -> reopened.dueWebhooks(clock.instant().plusSeconds(3600), 10)
                .isEmpty());
    }
}
