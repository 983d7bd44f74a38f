package io.palisade.notify;

import io.palisade.notify.WebhookSettings.Subscriber;
import io.palisade.status.BookEvent;
import io.palisade.status.IncidentListener;
import io.palisade.store.OutboxMessage;
import io.palisade.store.StateStore;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status webhooks through a durable outbox. As an {@link IncidentListener} it only hands each change to its own
 * thread ({@code palisade-webhooks-outbox}), which writes one message per subscriber into the state store; a second
 * thread ({@code palisade-webhooks-send}) delivers due messages with the JDK's HttpClient, signed per Standard
 * Webhooks. So a change is never lost to a slow receiver or a restart: what is in the outbox is sent after one.
 *
 * <p>Outcomes: 2xx is delivered; 410 Gone disables that subscriber for good (logged; none of its messages is sent
 * again, after a restart either); 429, 5xx, a timeout or a connection failure is retried with exponential backoff and
 * jitter (5 s doubling to at most 1 h, each wait a random 50-100 % of that) until the message is 24 h old, then given
 * up; any other status gives that message up at once.
 */
public final class WebhookNotifier implements IncidentListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookNotifier.class);
    static final int BATCH = 100;
    /**
     * How long delivered and given-up messages stay in the outbox (for an operator reading what was sent, like
     * Statuspage's webhook log) before the sender deletes them; without it the table grows with every incident.
     */
    static final Duration KEEP = Duration.ofDays(7);
    static final Duration PRUNE_EVERY = Duration.ofHours(1);

    /** How retries are spaced, and how often the sender looks for due messages when nothing woke it. */
    record Policy(Duration firstRetry, Duration maxRetry, Duration giveUpAfter, Duration poll) {
        static final Policy DEFAULT = new Policy(Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofHours(24),
                Duration.ofSeconds(1));

        Duration backoff(int attempts) {
            long base = firstRetry.toMillis() << Math.min(attempts - 1, 30);
            long capped = Math.min(base <= 0 ? Long.MAX_VALUE : base, maxRetry.toMillis());
            return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
        }
    }

    private final Map<String, Subscriber> subscribers = new LinkedHashMap<>();
    private final Payloads payloads;
    private final StateStore store;
    private final Clock clock;
    private final Policy policy;
    private final ExecutorService outbox;
    private final HttpClient http;
    private final Semaphore wake = new Semaphore(0);
    /** Subscribers this run disabled: their messages already fetched in a batch are not sent either. */
    private final Set<String> gone = ConcurrentHashMap.newKeySet();
    private final Thread sender;
    private final AtomicLong sequence = new AtomicLong();
    private volatile boolean closed;

    private WebhookNotifier(WebhookSettings settings, Payloads payloads, StateStore store, Clock clock,
                            Policy policy) {
        for (Subscriber s : settings.webhooks()) {
            subscribers.putIfAbsent(s.url().toString(), s);
        }
        this.payloads = payloads;
        this.store = store;
        this.clock = clock;
        this.policy = policy;
        this.outbox = Executors.newSingleThreadExecutor(r -> daemon(r, "palisade-webhooks-outbox"));
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.sender = daemon(this::sendLoop, "palisade-webhooks-send");
    }

    /**
     * Starts the sender (which first delivers what an earlier run left in the outbox). Add the result to the incident
     * book as a listener, and close it with the page.
     *
     * @param pageTitle      the page's title, as {@code page.name} in every body
     * @param componentNames component id to the name a person reads
     */
    public static WebhookNotifier start(WebhookSettings settings, String pageTitle, Map<String, String> componentNames,
                                        StateStore store, Clock clock) {
        return start(settings, pageTitle, componentNames, store, clock, Policy.DEFAULT);
    }

    static WebhookNotifier start(WebhookSettings settings, String pageTitle, Map<String, String> componentNames,
                                 StateStore store, Clock clock, Policy policy) {
        WebhookNotifier n = new WebhookNotifier(settings, new Payloads(pageTitle, componentNames), store, clock,
                policy);
        n.sender.start();
        return n;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Called under the book's lock: only hands the event over. */
    @Override
    public void onChange(BookEvent event) {
        if (!(event instanceof BookEvent.IncidentEvent incident)) {
            return; // maintenances are not sent (yet)
        }
        try {
            outbox.execute(() -> enqueue(incident));
        } catch (RejectedExecutionException e) {
            log.warn("webhook notifier closed; incident {} change not enqueued", incident.after().id());
        }
    }

    private void enqueue(BookEvent.IncidentEvent event) {
        try {
            List<String> bodies = payloads.of(event);
            if (bodies.isEmpty() || subscribers.isEmpty()) {
                return;
            }
            Instant now = clock.instant();
            var disabled = store.disabledWebhookSubscribers();
            List<OutboxMessage> messages = new ArrayList<>();
            for (String body : bodies) {
                for (String url : subscribers.keySet()) {
                    if (!disabled.contains(url)) {
                        messages.add(new OutboxMessage(messageId(now), url, body, now, 0, now));
                    }
                }
            }
            store.enqueueWebhooks(messages);
            wake.release();
        } catch (RuntimeException e) {
            log.error("could not enqueue webhooks for incident {}", event.after().id(), e);
        }
    }

    /**
     * {@code msg_} + the time and a counter in hex + random: the outbox sends due messages in id order, so one
     * change's incident message goes before its component messages, and changes go in the order they were made.
     */
    private String messageId(Instant now) {
        return "msg_%012x%08x%s".formatted(now.toEpochMilli(), sequence.incrementAndGet(),
                UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    }

    private void sendLoop() {
        Instant nextPrune = clock.instant();
        while (!closed) {
            try {
                Instant now = clock.instant();
                if (!now.isBefore(nextPrune)) {
                    nextPrune = now.plus(PRUNE_EVERY);
                    int pruned = store.pruneWebhooks(now.minus(KEEP));
                    if (pruned > 0) {
                        log.info("webhook outbox: deleted {} messages delivered or given up over {} ago", pruned,
                                KEEP);
                    }
                }
                List<OutboxMessage> due = store.dueWebhooks(clock.instant(), BATCH);
                for (OutboxMessage m : due) {
                    if (closed) {
                        return;
                    }
                    deliver(m);
                }
                if (due.size() < BATCH) {
                    wake.tryAcquire(policy.poll().toMillis(), TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                log.warn("webhook sender: {}", e.toString());
                try {
                    Thread.sleep(policy.poll().toMillis());
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void deliver(OutboxMessage m) throws InterruptedException {
        Subscriber s = subscribers.get(m.subscriber());
        int attempts = m.attempts() + 1;
        if (s == null) {
            store.webhookFailed(m.id(), m.attempts(), "subscriber no longer configured");
            return;
        }
        if (gone.contains(m.subscriber())) {
            store.webhookFailed(m.id(), m.attempts(), "subscriber disabled (410 Gone)");
            return;
        }
        long timestamp = clock.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(s.url()).timeout(s.timeout())
                .header("content-type", "application/json")
                .header("webhook-id", m.id())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", s.signer().sign(m.id(), timestamp, m.body()))
                .POST(HttpRequest.BodyPublishers.ofString(m.body(), StandardCharsets.UTF_8)).build();
        String error;
        try {
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status >= 200 && status < 300) {
                store.webhookDelivered(m.id(), clock.instant());
                return;
            }
            if (status == 410) {
                log.warn("webhook subscriber {} answered 410 Gone: disabled, none of its messages is sent again",
                        s.url());
                gone.add(m.subscriber());
                store.disableWebhookSubscriber(m.subscriber(), clock.instant(), "410 Gone");
                store.webhookFailed(m.id(), attempts, "410 Gone");
                return;
            }
            error = "HTTP " + status;
            if (status != 429 && status < 500) {
                log.warn("webhook {} to {} given up: {}", m.id(), s.url(), error);
                store.webhookFailed(m.id(), attempts, error);
                return;
            }
        } catch (IOException e) {
            error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        Instant next = clock.instant().plus(policy.backoff(attempts));
        if (next.isAfter(m.createdAt().plus(policy.giveUpAfter()))) {
            log.warn("webhook {} to {} given up after {} attempts: {}", m.id(), s.url(), attempts, error);
            store.webhookFailed(m.id(), attempts, error);
        } else {
            store.retryWebhookAt(m.id(), attempts, next, error);
        }
    }

    /** Enqueues what was handed over before, then stops the sender; what is left in the outbox waits for a restart. */
    @Override
    public void close() {
        outbox.shutdown();
        try {
            if (!outbox.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("webhook outbox writer did not finish in 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        sender.interrupt();
        try {
            sender.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.close();
    }
}
