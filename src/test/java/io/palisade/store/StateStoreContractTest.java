package io.palisade.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link StateStore} engine promises, run against each one by a subclass: SQLite on disk
 * ({@link SqliteStateStoreTest}) and a real PostgreSQL server ({@link PostgresStateStoreTest}).
 */
abstract class StateStoreContractTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    private final List<StateStore> opened = new ArrayList<>();
    StateStore store;

    /** Makes new, empty storage for this test: a directory, a database. */
    abstract void freshStorage();

    /** A new store on this test's storage, as a restarted gateway (or a second one) would open it. */
    abstract StateStore openStorage();

    @BeforeEach
    void openStore() {
        freshStorage();
        store = open();
    }

    @AfterEach
    void closeStores() {
        opened.forEach(StateStore::close);
    }

    StateStore open() {
        StateStore s = openStorage();
        opened.add(s);
        return s;
    }

    static NewVersion newVersion(String hash, VersionState state) {
        return new NewVersion(hash, OptionalLong.empty(), "ops@example", "change " + hash, T0, "yaml: " + hash,
                state, List.of());
    }

    static Audit audit(String action, Instant at) {
        return new Audit(at, "token@127.0.0.1", action, OptionalLong.empty(), "detail of " + action);
    }

    private List<Long> numbers(List<StoredVersion> versions) {
        return versions.stream().map(StoredVersion::number).toList();
    }

    @Test
    void webhookOutbox_dueInOrder_retried_delivered_failed_andDisabledSubscribersSkipped() {
        store.enqueueWebhooks(List.of(
                new OutboxMessage("msg_1", "http://a/", "{\"n\":1}", T0, 0, T0),
                new OutboxMessage("msg_2", "http://b/", "{\"n\":2}", T0, 0, T0),
                new OutboxMessage("msg_3", "http://a/", "{\"n\":3}", T0, 0, T0.plusSeconds(10))));
        assertThat(store.dueWebhooks(T0, 10)).extracting(OutboxMessage::id).containsExactly("msg_1", "msg_2");
        store.retryWebhookAt("msg_1", 1, T0.plusSeconds(20), "HTTP 503");
        store.webhookDelivered("msg_2", T0);
        assertThat(store.dueWebhooks(T0.plusSeconds(10), 10)).extracting(OutboxMessage::id).containsExactly("msg_3");
        store.webhookFailed("msg_3", 1, "HTTP 400");
        assertThat(store.dueWebhooks(T0.plusSeconds(20), 10)).singleElement()
                .satisfies(m -> assertThat(m.attempts()).isEqualTo(1));
        store.disableWebhookSubscriber("http://a/", T0, "410 Gone");
        store.disableWebhookSubscriber("http://a/", T0, "410 Gone");
        assertThat(store.disabledWebhookSubscribers()).containsExactly("http://a/");
        assertThat(store.dueWebhooks(T0.plusSeconds(3600), 10)).isEmpty();
    }

    @Test
    void webhookOutbox_pruneDeletesOldDeliveredAndGivenUpMessages_neverPendingOnes() {
        store.enqueueWebhooks(List.of(
                new OutboxMessage("msg_old_sent", "http://a/", "{}", T0, 0, T0),
                new OutboxMessage("msg_old_failed", "http://a/", "{}", T0, 0, T0),
                new OutboxMessage("msg_old_pending", "http://a/", "{}", T0, 0, T0.plusSeconds(86_400)),
                new OutboxMessage("msg_new_sent", "http://a/", "{}", T0.plusSeconds(3_600), 0, T0)));
        store.webhookDelivered("msg_old_sent", T0);
        store.webhookFailed("msg_old_failed", 3, "HTTP 400");
        store.webhookDelivered("msg_new_sent", T0.plusSeconds(3_600));

        assertThat(store.pruneWebhooks(T0.plusSeconds(60))).isEqualTo(2);
        assertThat(store.pruneWebhooks(T0.plusSeconds(60))).isZero();
        assertThat(store.dueWebhooks(T0.plusSeconds(86_400), 10)).extracting(OutboxMessage::id)
                .containsExactly("msg_old_pending");
        assertThat(store.pruneWebhooks(T0.plusSeconds(7_200))).as("the newer delivered one").isEqualTo(1);
    }

    @Test
    void emptyStore_hasNoVersionsAuditOrSettings() {
        assertThat(store.versions(10)).isEmpty();
        assertThat(store.version(1)).isEmpty();
        assertThat(store.newestIn(VersionState.ACTIVE)).isEmpty();
        assertThat(store.auditSince(Instant.EPOCH, 10)).isEmpty();
        assertThat(store.setting("previous_active")).isEmpty();
    }

    @Test
    void addVersion_numbersFromOne_andReadsBackEveryField() {
        NewVersion first = new NewVersion("h1", OptionalLong.empty(), "alice", "first", T0.plusNanos(1_234_567),
                "routes: []\n", VersionState.ACTIVE, List.of("initial"));
        StoredVersion v1 = store.addVersion(first, audit("config.apply", T0));
        StoredVersion v2 = store.addVersion(new NewVersion("h2", OptionalLong.of(1), "bob", "second", T0,
                "routes: [a]\n", VersionState.CANARY, List.of()), audit("config.apply", T0));
        StoredVersion v3 = store.addVersion(newVersion("h3", VersionState.REJECTED), audit("config.apply", T0));

        assertThat(List.of(v1.number(), v2.number(), v3.number())).containsExactly(1L, 2L, 3L);
        assertThat(v1).isEqualTo(new StoredVersion(1, "h1", OptionalLong.empty(), "alice", "first",
                T0.plusMillis(1), "routes: []\n", VersionState.ACTIVE, List.of("initial")));
        assertThat(store.version(1)).contains(v1);
        assertThat(store.version(2)).contains(v2);
        assertThat(v2.parent()).hasValue(1);
        assertThat(store.version(4)).isEmpty();
    }

    @Test
    void versions_newestFirst_atMostLimit() {
        for (int i = 1; i <= 5; i++) {
            store.addVersion(newVersion("h" + i, VersionState.SUPERSEDED), audit("config.apply", T0));
        }
        assertThat(numbers(store.versions(3))).containsExactly(5L, 4L, 3L);
        assertThat(numbers(store.versions(10))).containsExactly(5L, 4L, 3L, 2L, 1L);
        assertThat(store.versions(0)).isEmpty();
        assertThatThrownBy(() -> store.versions(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void newestIn_isTheNewestVersionInThatState() {
        store.addVersion(newVersion("a", VersionState.ACTIVE), audit("config.apply", T0));
        store.addVersion(newVersion("b", VersionState.CANARY), audit("config.apply", T0));
        store.addVersion(newVersion("c", VersionState.ACTIVE), audit("config.apply", T0));
        store.addVersion(newVersion("d", VersionState.REJECTED), audit("config.apply.refused", T0));

        assertThat(store.newestIn(VersionState.ACTIVE).map(StoredVersion::hash)).contains("c");
        assertThat(store.newestIn(VersionState.CANARY).map(StoredVersion::number)).contains(2L);
        assertThat(store.newestIn(VersionState.REJECTED).map(StoredVersion::number)).contains(4L);
        assertThat(store.newestIn(VersionState.SUPERSEDED)).isEmpty();
    }

    @Test
    void addVersion_writesItsAudit_namingTheNewVersionUnlessTheAuditNamesOne() {
        store.addVersion(newVersion("a", VersionState.ACTIVE), audit("config.apply", T0));
        store.addVersion(newVersion("b", VersionState.CANARY),
                new Audit(T0.plusSeconds(1), "palisade", "rollout.start", OptionalLong.of(1), "from 1"));

        List<AuditRecord> rows = store.auditSince(Instant.EPOCH, 10);
        assertThat(rows).extracting(AuditRecord::action).containsExactly("config.apply", "rollout.start");
        assertThat(rows.get(0).version()).hasValue(1);
        assertThat(rows.get(0).actor()).isEqualTo("token@127.0.0.1");
        assertThat(rows.get(0).detail()).isEqualTo("detail of config.apply");
        assertThat(rows.get(1).version()).hasValue(1);
        assertThat(rows.get(1).at()).isEqualTo(T0.plusSeconds(1));
    }

    @Test
    void addVersion_withAParentNeverStored_fails_andLeavesNoVersionNorAudit() {
        NewVersion orphan = new NewVersion("x", OptionalLong.of(99), "alice", "m", T0, "y", VersionState.ACTIVE,
                List.of());
        assertThatThrownBy(() -> store.addVersion(orphan, audit("config.apply", T0)))
                .isInstanceOf(StoreException.class).hasMessageContaining("adding a config version");
        assertThat(store.versions(10)).isEmpty();
        assertThat(store.auditSince(Instant.EPOCH, 10)).isEmpty();
    }

    @Test
    void setStates_appliesEveryChangeAndItsAudit_together() {
        store.addVersion(new NewVersion("a", OptionalLong.empty(), "alice", "m", T0, "y", VersionState.ACTIVE,
                List.of("first")), audit("config.apply", T0));
        store.addVersion(newVersion("b", VersionState.CANARY), audit("config.apply", T0));

        store.setStates(List.of(new StateChange(1, VersionState.SUPERSEDED, List.of()),
                        new StateChange(2, VersionState.ACTIVE, List.of("canary healthy", "promoted"))),
                new Audit(T0.plusSeconds(5), "palisade", "rollout.promote", OptionalLong.of(2), "canary 2 promoted"));

        assertThat(store.version(1).orElseThrow().state()).isEqualTo(VersionState.SUPERSEDED);
        assertThat(store.version(1).orElseThrow().reasons()).as("empty reasons leave the old ones")
                .containsExactly("first");
        assertThat(store.version(2).orElseThrow().state()).isEqualTo(VersionState.ACTIVE);
        assertThat(store.version(2).orElseThrow().reasons()).containsExactly("canary healthy", "promoted");
        assertThat(store.newestIn(VersionState.ACTIVE).map(StoredVersion::number)).contains(2L);
        assertThat(store.auditSince(T0.plusSeconds(5), 10)).singleElement()
                .satisfies(r -> assertThat(r.action()).isEqualTo("rollout.promote"))
                .satisfies(r -> assertThat(r.version()).hasValue(2));
    }

    @Test
    void setStates_namingAnUnknownVersion_changesNothing_andRollsBackItsAudit() {
        store.addVersion(newVersion("a", VersionState.ACTIVE), audit("config.apply", T0));

        assertThatThrownBy(() -> store.setStates(List.of(new StateChange(1, VersionState.ROLLED_BACK, List.of("bad")),
                        new StateChange(99, VersionState.ACTIVE, List.of())),
                audit("config.rollback", T0.plusSeconds(1))))
                .isInstanceOf(StoreException.class).hasMessageContaining("no config version 99");

        StoredVersion v1 = store.version(1).orElseThrow();
        assertThat(v1.state()).isEqualTo(VersionState.ACTIVE);
        assertThat(v1.reasons()).isEmpty();
        assertThat(store.auditSince(Instant.EPOCH, 10)).extracting(AuditRecord::action).containsExactly("config.apply");
    }

    @Test
    void auditSince_atOrAfterSince_oldestFirst_atMostLimit() {
        store.audit(audit("c", T0.plusSeconds(3)));
        store.audit(audit("a", T0.plusSeconds(1)));
        store.audit(audit("b1", T0.plusSeconds(2)));
        store.audit(audit("b2", T0.plusSeconds(2)));

        assertThat(store.auditSince(Instant.EPOCH, 10)).extracting(AuditRecord::action)
                .containsExactly("a", "b1", "b2", "c");
        assertThat(store.auditSince(T0.plusSeconds(2), 10)).extracting(AuditRecord::action)
                .containsExactly("b1", "b2", "c");
        assertThat(store.auditSince(T0.plusSeconds(2), 2)).extracting(AuditRecord::action).containsExactly("b1", "b2");
        assertThat(store.auditSince(T0.plusSeconds(2).plusNanos(1), 10)).extracting(AuditRecord::action)
                .as("kept to the millisecond: an entry at 2 s is before 2 s + 1 ns").containsExactly("c");
        assertThat(store.auditSince(T0.plusSeconds(4), 10)).isEmpty();
        List<AuditRecord> all = store.auditSince(Instant.EPOCH, 10);
        assertThat(all).extracting(AuditRecord::id).doesNotHaveDuplicates();
        assertThat(all.get(1).id()).as("same instant: in the order written").isLessThan(all.get(2).id());
        assertThat(all.get(0).version()).isEmpty();
    }

    @Test
    void settings_putReplaceAndRead() {
        store.putSetting("previous_active", "3");
        store.putSetting("other", "x");
        store.putSetting("previous_active", "4");

        assertThat(store.setting("previous_active")).contains("4");
        assertThat(store.setting("other")).contains("x");
        assertThat(store.setting("missing")).isEmpty();
    }

    @Test
    void incidentsAndMaintenances_saveReplaceAndSurviveAReopen() {
        assertThat(store.incidents()).isEmpty();
        assertThat(store.maintenances()).isEmpty();
        StoredDocument open = new StoredDocument("i1", "investigating", T0, "{\"id\":\"i1\",\"n\":\"é ✓\"}");
        store.saveIncident(open);
        store.saveIncident(new StoredDocument("i2", "resolved", T0.plusSeconds(1), "{\"id\":\"i2\"}"));
        StoredDocument resolved = new StoredDocument("i1", "resolved", T0.plusSeconds(2), "{\"id\":\"i1\",\"r\":1}");
        store.saveIncident(resolved);
        StoredDocument m = new StoredDocument("m1", "scheduled", T0, "{\"id\":\"m1\"}");
        store.saveMaintenance(m);
        store.close();

        StateStore again = open();
        assertThat(again.incidents()).hasSize(2).contains(resolved).doesNotContain(open);
        assertThat(again.maintenances()).containsExactly(m);
    }

    @Test
    void reopenAfterClose_keepsEverything_andNumberingGoesOn() {
        StoredVersion v1 = store.addVersion(newVersion("a", VersionState.ACTIVE), audit("config.apply", T0));
        store.addVersion(newVersion("b", VersionState.CANARY), audit("config.apply", T0));
        store.setStates(List.of(new StateChange(2, VersionState.ROLLED_BACK, List.of("5xx above budget"))),
                audit("rollout.auto_rollback", T0.plusSeconds(1)));
        store.putSetting("previous_active", "1");
        store.close();
        assertThatThrownBy(() -> store.versions(1)).isInstanceOf(IllegalStateException.class);

        StateStore again = open();
        assertThat(again.version(1)).contains(v1);
        assertThat(again.version(2).orElseThrow().state()).isEqualTo(VersionState.ROLLED_BACK);
        assertThat(again.version(2).orElseThrow().reasons()).containsExactly("5xx above budget");
        assertThat(again.auditSince(Instant.EPOCH, 10)).extracting(AuditRecord::action)
                .containsExactly("config.apply", "config.apply", "rollout.auto_rollback");
        assertThat(again.setting("previous_active")).contains("1");
        assertThat(again.addVersion(newVersion("c", VersionState.ACTIVE), audit("config.apply", T0)).number())
                .isEqualTo(3);
    }

    @Test
    void versionsAreImmutable_onlyStateAndReasonsEverChange() {
        List<String> reasons = new ArrayList<>(List.of("r1"));
        NewVersion nv = new NewVersion("h", OptionalLong.empty(), "alice", "m", T0, "yaml", VersionState.CANARY,
                reasons);
        reasons.add("added by the caller afterwards");
        StoredVersion before = store.addVersion(nv, audit("config.apply", T0));
        store.setStates(List.of(new StateChange(1, VersionState.ACTIVE, List.of("promoted"))),
                audit("config.promote", T0));

        StoredVersion after = store.version(1).orElseThrow();
        assertThat(after).usingRecursiveComparison().ignoringFields("state", "reasons").isEqualTo(before);
        assertThat(before.reasons()).containsExactly("r1");
        assertThat(after.state()).isEqualTo(VersionState.ACTIVE);
        assertThat(after.reasons()).containsExactly("promoted");
        assertThatThrownBy(() -> after.reasons().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void concurrentAddVersion_fourThreadsOnTwoStores_giveUniqueConsecutiveNumbers() throws Exception {
        StateStore second = open();
        int threads = 4;
        int each = 10;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<StoredVersion>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                StateStore writer = t % 2 == 0 ? store : second;
                String name = "t" + t;
                results.add(pool.submit(() -> {
                    go.await();
                    List<StoredVersion> mine = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        mine.add(writer.addVersion(newVersion(name + "-" + i, VersionState.SUPERSEDED),
                                audit("config.apply", T0)));
                    }
                    return mine;
                }));
            }
            go.countDown();
            List<StoredVersion> written = new ArrayList<>();
            for (Future<List<StoredVersion>> f : results) {
                written.addAll(f.get());
            }

            assertThat(written).extracting(StoredVersion::number).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, threads * each).boxed().toList());
            for (StoredVersion v : written) {
                assertThat(store.version(v.number())).contains(v);
            }
            List<AuditRecord> audits = store.auditSince(Instant.EPOCH, 1000);
            assertThat(audits).extracting(AuditRecord::id).doesNotHaveDuplicates();
            assertThat(audits).extracting(r -> r.version().orElseThrow())
                    .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, threads * each).boxed().toList());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void onANettyEventLoop_everyCallThrows_becauseJdbcBlocks() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Future<?> onLoop = group.next().submit(() -> store.versions(1));
            assertThatThrownBy(onLoop::get).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("Netty thread")
                    .hasMessageContaining("control thread");
            Future<?> write = group.next().submit(() -> store.audit(audit("x", T0)));
            assertThatThrownBy(write::get).cause().isInstanceOf(IllegalStateException.class);
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
        CompletableFuture<Throwable> onNettyThread = new CompletableFuture<>();
        Thread t = new FastThreadLocalThread(() -> {
            try {
                store.putSetting("k", "v");
                onNettyThread.complete(null);
            } catch (Throwable e) {
                onNettyThread.complete(e);
            }
        }, "netty-made");
        t.start();
        assertThat(onNettyThread.get()).isInstanceOf(IllegalStateException.class);

        assertThat(store.auditSince(Instant.EPOCH, 10)).as("nothing was written").isEmpty();
        assertThat(store.setting("k")).isEmpty();
    }
}
