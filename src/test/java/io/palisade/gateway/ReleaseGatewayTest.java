package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.palisade.admin.AdminReply;
import io.palisade.admin.ApplyRequest;
import io.palisade.admin.Caller;
import io.palisade.testing.FakeTicker;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Releases through a real gateway: versions, the staged canary and its judge, automatic and manual rollback, the
 * operator's controls, and the refusals. Step durations run on the fake ticker, so a step passes when the test says;
 * the judge looks on real time every 100 ms.
 */
class ReleaseGatewayTest {
    @RegisterExtension
    static final Gateways gateways = Gateways.onFakeTime(Gateways.SEVERAL);
    static final Caller OPERATOR = new Caller("127.0.0.1", true, false);
    static final String STAGED = "{ steps: [50%, 100%], step_duration: 10s, min_requests: 20, split_by: request,"
            + " judge: { interval: 100ms } }";
    private TestUpstream blue;
    private TestUpstream green;
    private GatewayFixture gw;

    @BeforeEach
    void start() {
        blue = TestUpstream.start("blue");
        green = TestUpstream.start("green");
        gw = gateways.start(config(blue, "v1"));
    }

    @AfterEach
    void stop() {
        blue.close();
        green.close();
    }

    static String config(TestUpstream upstream, String note) {
        return config(upstream.address(), note, STAGED);
    }

    static String config(String address, String note, String rollout) {
        return """
                # %s
                rollout: %s
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - name: api
                    match: { path_prefix: /api }
                    cluster: app
                """.formatted(note, rollout, address);
    }

    /** The whole file as the fixture wrote it, with the route part replaced: what `config apply` would send. */
    private String release(String yaml) {
        return "listeners:\n  http: { address: 127.0.0.1:0 }\nadmin:\n  address: 127.0.0.1:0\n"
                + "access_log: { enabled: false }\nserver: { worker_threads: " + gw.loops() + " }\n" + yaml;
    }

    private AdminReply apply(String yaml, boolean force, boolean direct) {
        return gw.gateway().releases().apply(new ApplyRequest(release(yaml), "test", "tester", direct, force),
                OPERATOR).toCompletableFuture().join();
    }

    private JsonNode rollout() {
        return gw.gateway().releases().rollout().toCompletableFuture().join().body();
    }

    private JsonNode versions() {
        return gw.gateway().releases().versions().toCompletableFuture().join().body().path("versions");
    }

    private String audit() {
        return gw.gateway().releases().audit(Optional.empty(), 1000).toCompletableFuture().join().body().toString();
    }

    private static String stateOf(JsonNode versions, long n) {
        for (JsonNode v : versions) {
            if (v.path("version").asLong() == n) {
                return v.path("state").asText();
            }
        }
        return "missing";
    }

    private void send(int n) {
        for (int i = 0; i < n; i++) {
            gw.get("/api/" + i);
        }
    }

    @Test
    void firstStart_fileIsVersionOne_active() {
        assertThat(gw.gateway().config().version()).isEqualTo("1");
        JsonNode versions = versions();
        assertThat(versions).hasSize(1);
        assertThat(versions.get(0).path("state").asText()).isEqualTo("active");
        assertThat(versions.get(0).path("hash").asText()).hasSize(64);
        assertThat(audit()).contains("config.apply").contains("config.activate");
    }

    @Test
    void stagedRelease_servesItsShare_promotedWhenTheStepPassesWithData() {
        AdminReply applied = apply(config(green, "v2"), false, false);
        assertThat(applied.status()).as(applied.body().toString()).isEqualTo(201);
        assertThat(applied.body().path("state").asText()).isEqualTo("canary");
        assertThat(applied.body().path("version").asLong()).isEqualTo(2);
        send(200);
        assertThat(green.requestCount()).as("the canary's half").isBetween(40, 160);
        assertThat(blue.requestCount()).as("the baseline's half").isBetween(40, 160);
        JsonNode r = rollout();
        assertThat(r.path("state").asText()).isEqualTo("running");
        assertThat(r.path("share").asDouble()).isEqualTo(0.5);
        assertThat(r.path("figures").path("canary").path("requests").asLong()).isPositive();

        gateways.ticker().advance(Duration.ofSeconds(11));
        await().atMost(Duration.ofSeconds(20)).until(() -> rollout().path("last").path("outcome").asText()
                .equals("promoted"));
        int before = green.requestCount();
        send(20);
        assertThat(green.requestCount() - before).isEqualTo(20);
        assertThat(gw.gateway().config().version()).isEqualTo("2");
        assertThat(stateOf(versions(), 2)).isEqualTo("active");
        assertThat(stateOf(versions(), 1)).isEqualTo("superseded");
        assertThat(audit()).contains("rollout.promote");
    }

    @Test
    void stepWithoutEnoughData_holds_neverPasses() {
        assertThat(apply(config(green, "v2"), false, false).status()).isEqualTo(201);
        send(4); // far below min_requests
        gateways.ticker().advance(Duration.ofSeconds(60));
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(rollout().path("state").asText()).isEqualTo("running");
        assertThat(rollout().path("verdict").path("kind").asText()).isEqualTo("insufficient");
    }

    @Test
    void failingCanary_rolledBackBySelf_baselineServesAll() {
        green.behave(new TestUpstream.Respond(500, "broken", 0));
        assertThat(apply(config(green, "v2-broken"), false, false).status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            send(10);
            return rollout().path("state").asText().equals("none");
        });
        JsonNode last = rollout().path("last");
        assertThat(last.path("outcome").asText()).isEqualTo("rolled_back");
        assertThat(last.path("reason").asText()).contains("regression");
        int before = blue.requestCount();
        send(20);
        assertThat(blue.requestCount() - before).isEqualTo(20);
        assertThat(stateOf(versions(), 2)).isEqualTo("rolled_back");
        assertThat(audit()).contains("rollout.auto_rollback").contains("\"actor\":\"palisade\"");
    }

    @Test
    void refusals_invalid422_secondRollout409_restartOnly422_unchangedIsNoVersion() {
        int stored = versions().size();
        AdminReply invalid = apply("routes: [ {", false, false);
        assertThat(invalid.status()).isEqualTo(422);
        assertThat(invalid.body().path("errors")).isNotEmpty();
        AdminReply unchanged = gw.gateway().releases().apply(new ApplyRequest(
                gw.gateway().live().yaml(), "same", "t", false, false), OPERATOR).toCompletableFuture().join();
        assertThat(unchanged.status()).isEqualTo(200);
        assertThat(unchanged.body().path("unchanged").asBoolean()).isTrue();
        AdminReply restart = gw.gateway().releases().apply(new ApplyRequest(release(config(green, "v2"))
                .replace("worker_threads: " + gw.loops(), "worker_threads: " + (gw.loops() + 1)), "m", "t", false,
                false), OPERATOR).toCompletableFuture().join();
        assertThat(restart.status()).isEqualTo(422);
        assertThat(restart.body().toString()).contains("server.worker_threads");
        assertThat(versions()).hasSize(stored);

        assertThat(apply(config(green, "v2"), false, false).status()).isEqualTo(201);
        AdminReply second = apply(config(blue, "v3"), false, false);
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.body().path("message").asText()).contains("rolling out");
        assertThat(audit()).contains("config.apply.refused");
    }

    @Test
    void preflightFailure_rejectedWithTheAddress_forceReleasesItThroughTheCanary() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String dead = config("127.0.0.1:" + closed, "dead", STAGED);
        AdminReply refused = apply(dead, false, false);
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.body().path("errors").toString()).contains("clusters.app.endpoints[0]")
                .contains("127.0.0.1:" + closed);
        long rejected = refused.body().path("version").asLong();
        assertThat(stateOf(versions(), rejected)).isEqualTo("rejected");
        assertThat(gw.get("/api/still").statusCode()).isEqualTo(200);

        AdminReply forced = apply(dead, true, false);
        assertThat(forced.status()).isEqualTo(201);
        assertThat(forced.body().path("state").asText()).isEqualTo("canary");
        assertThat(audit()).contains("forced past pre-flight");
    }

    @Test
    void rollback_toThePreviousByDefault_toANamedOne_unknownIs404() {
        assertThat(apply(config(green, "v2"), false, true).status()).isEqualTo(201);
        assertThat(gw.gateway().config().version()).isEqualTo("2");
        AdminReply back = gw.gateway().releases().rollback(OptionalLong.empty(), OPERATOR).toCompletableFuture()
                .join();
        assertThat(back.status()).as(back.body().toString()).isEqualTo(200);
        assertThat(gw.gateway().config().version()).isEqualTo("1");
        int before = blue.requestCount();
        send(5);
        assertThat(blue.requestCount() - before).isEqualTo(5);
        assertThat(stateOf(versions(), 2)).isEqualTo("rolled_back");
        assertThat(versions()).hasSize(2); // a rollback makes no new number

        assertThat(gw.gateway().releases().rollback(OptionalLong.of(2), OPERATOR).toCompletableFuture().join()
                .status()).isEqualTo(200);
        assertThat(gw.gateway().config().version()).isEqualTo("2");
        AdminReply unknown = gw.gateway().releases().rollback(OptionalLong.of(99), OPERATOR).toCompletableFuture()
                .join();
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(audit()).contains("config.rollback").contains("loopback@127.0.0.1");
    }

    @Test
    void operatorControls_pauseHoldsResumeGoesOn_abortRollsBack_promoteGoesToAll() {
        FakeTicker ticker = gateways.ticker();
        assertThat(apply(config(green, "v2"), false, false).status()).isEqualTo(201);
        control("pause");
        assertThat(rollout().path("state").asText()).isEqualTo("paused");
        send(60);
        ticker.advance(Duration.ofSeconds(30));
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(rollout().path("state").asText()).as("paused: the step does not pass").isEqualTo("paused");
        control("resume");
        // The held step served its time while paused: once resumed, the judge's next look passes it (within its
        // 100 ms interval, so the state right after resume may already be past "running") and the rollout goes on
        // to 100%, the promotion.
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.gateway().config().version().equals("2"));
        assertThat(rollout().path("last").path("outcome").asText()).isEqualTo("promoted");

        assertThat(apply(config(blue, "v3"), false, false).status()).isEqualTo(201);
        assertThat(rollout().path("state").asText()).isEqualTo("running");
        control("abort");
        assertThat(rollout().path("last").path("outcome").asText()).isEqualTo("aborted");
        assertThat(gw.gateway().config().version()).isEqualTo("2");

        assertThat(apply(config(blue, "v4"), false, false).status()).isEqualTo(201);
        control("promote");
        assertThat(gw.gateway().config().version()).isEqualTo("4");
        assertThat(gw.gateway().releases().rolloutControl("promote", OPERATOR).toCompletableFuture().join()
                .status()).as("no rollout left").isEqualTo(409);
    }

    private void control(String action) {
        AdminReply r = gw.gateway().releases().rolloutControl(action, OPERATOR).toCompletableFuture().join();
        assertThat(r.status()).as(action + ": " + r.body()).isEqualTo(200);
    }
}
