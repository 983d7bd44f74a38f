package io.palisade.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.palisade.release.MisbehavingServer.Mode;
import io.palisade.testing.RedisServer;
import io.palisade.testing.SilentServer;
import io.palisade.testing.TestUpstream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every probe kind against real servers on 127.0.0.1: healthy ones, a closed port, a server that accepts and never
 * answers (seed 004), servers that answer garbage, close, or trickle bytes. Elapsed time is only ever bounded from
 * above, with a wide margin: a probe that fails at its deadline has 1 s, and its run must end within 10 s.
 */
class PreflightTest {
    /** Long enough that a busy machine (and a server's first, cold request) never fails a probe that should pass. */
    private static final Duration PASSING = Duration.ofSeconds(10);
    /** The deadline the failing-by-timeout probes run into: long enough for each to be in its step by then. */
    private static final Duration SHORT = Duration.ofSeconds(1);
    /** How long a run of SHORT probes may take at most, however busy the machine. */
    private static final Duration SHORT_RUN = Duration.ofSeconds(10);
    /** How long a run whose probes all end long before their deadline may take at most. */
    private static final Duration QUICK_RUN = Duration.ofSeconds(30);
    private static final IntPredicate OK = status -> status >= 200 && status < 400;

    private final List<AutoCloseable> servers = new ArrayList<>();

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable s : servers) {
            s.close();
        }
    }

    private <T extends AutoCloseable> T server(T s) {
        servers.add(s);
        return s;
    }

    private static Probe.Endpoint endpoint(String host, int port, Duration timeout, String healthPath) {
        return new Probe.Endpoint("clusters.orders.endpoints[0]", host, port, timeout,
                Optional.ofNullable(healthPath), OK);
    }

    private static Probe.Http http(String url, Duration timeout) {
        return new Probe.Http("auth.external.policy.url", URI.create(url), timeout);
    }

    private static Probe.Jwks jwks(String url, Duration timeout) {
        return new Probe.Jwks("auth.jwt.idp.jwks_url", URI.create(url), timeout);
    }

    private static Probe.Redis redis(int port, Duration timeout) {
        return new Probe.Redis("rate_limiting.redis.address", "127.0.0.1", port, timeout);
    }

    /** Runs the probes, failing the test if the run takes longer than {@code bound}. */
    private static List<ProbeFailure> runWithin(Duration bound, Probe... probes) {
        long start = System.nanoTime();
        List<ProbeFailure> failures = Preflight.run(List.of(probes));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(bound);
        return failures;
    }

    private static List<String> reasons(List<ProbeFailure> failures) {
        return failures.stream().map(ProbeFailure::reason).toList();
    }

    @Test
    void noProbes_noFailures() {
        assertThat(Preflight.run(List.of())).isEmpty();
    }

    @Test
    void unresolvableHost_failsAtDns_namingTheAddress() {
        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                endpoint("nosuch.invalid", 8080, PASSING, "/healthz"));

        assertThat(failures).extracting(ProbeFailure::message)
                .containsExactly("clusters.orders.endpoints[0] nosuch.invalid:8080: DNS: no such host");
    }

    @Test
    void closedPort_failsWithConnectRefused_forEveryKind() {
        int port = RedisServer.freePort();

        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                endpoint("127.0.0.1", port, PASSING, null),
                http("http://127.0.0.1:" + port + "/check", PASSING),
                jwks("http://127.0.0.1:" + port + "/jwks.json", PASSING),
                redis(port, PASSING));

        assertThat(reasons(failures)).containsOnly("TCP connect refused").hasSize(4);
        assertThat(failures.get(0).message())
                .isEqualTo("clusters.orders.endpoints[0] 127.0.0.1:" + port + ": TCP connect refused");
        assertThat(failures.get(1).target()).isEqualTo("http://127.0.0.1:" + port + "/check");
    }

    @Test
    void silentServer_everyProbeFailsAtItsDeadline_withTheStepItWaitedIn() {
        SilentServer silent = server(silentServer());

        List<ProbeFailure> failures = runWithin(SHORT_RUN,
                endpoint("127.0.0.1", silent.port(), SHORT, null),
                endpoint("127.0.0.1", silent.port(), SHORT, "/healthz"),
                http(silent.url("/check"), SHORT),
                jwks(silent.url("/jwks.json"), SHORT),
                redis(silent.port(), SHORT));

        // The TCP connect succeeds, so an endpoint without a health path passes: only a health check sees the hang.
        assertThat(reasons(failures)).containsExactly(
                "health check GET /healthz: no answer within 1s",
                "no answer within 1s",
                "JWKS: no answer within 1s",
                "Redis: no PONG within 1s");
    }

    @Test
    void healthCheck_passesOnAHealthyStatus_failsOnAnother() {
        TestUpstream upstream = server(TestUpstream.start("orders"))
                .behave(new TestUpstream.Respond(503, "down", 0));

        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                endpoint("127.0.0.1", upstream.port(), PASSING, "/healthz"),
                endpoint("127.0.0.1", upstream.port(), PASSING, "/ready"));

        // TestUpstream answers /healthz with 200 whatever it is told; every other path gets the 503.
        assertThat(reasons(failures)).containsExactly("health check GET /ready answered 503");
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri)
                .containsExactlyInAnyOrder("/healthz", "/ready");
        assertThat(upstream.received().get(0).headers().get("Host")).isEqualTo("127.0.0.1:" + upstream.port());
    }

    @Test
    void externalAuth_answering401_passes() {
        TestUpstream auth = server(TestUpstream.start("authz")).behave(new TestUpstream.Respond(401, "{}", 0));

        assertThat(runWithin(QUICK_RUN, http("http://" + auth.address() + "/check", PASSING))).isEmpty();
        assertThat(auth.requestCount()).isEqualTo(1);
    }

    @Test
    void jwks_passesOnlyForAKeySetWithKeys() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        TestUpstream valid = server(TestUpstream.start("idp"))
                .behave(new TestUpstream.Respond(200, new JWKSet(key.toPublicJWK()).toString(), 0));
        TestUpstream notJson = server(TestUpstream.start("idp-broken"))
                .behave(new TestUpstream.Respond(200, "<html>sign in</html>", 0));
        TestUpstream noKeys = server(TestUpstream.start("idp-empty"))
                .behave(new TestUpstream.Respond(200, "{\"keys\":[]}", 0));
        TestUpstream missing = server(TestUpstream.start("idp-moved"))
                .behave(new TestUpstream.Respond(404, "not here", 0));

        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                jwks("http://" + valid.address() + "/jwks.json", PASSING),
                jwks("http://" + notJson.address() + "/jwks.json", PASSING),
                jwks("http://" + noKeys.address() + "/jwks.json", PASSING),
                jwks("http://" + missing.address() + "/jwks.json", PASSING));

        assertThat(reasons(failures)).hasSize(3);
        assertThat(failures.get(0).reason()).startsWith("JWKS: not a JWK set (");
        assertThat(failures.get(0).target()).isEqualTo("http://" + notJson.address() + "/jwks.json");
        assertThat(failures.get(1).reason()).isEqualTo("JWKS: no keys in the set");
        assertThat(failures.get(2).reason()).isEqualTo("JWKS: HTTP 404");
    }

    @Test
    void redis_realServerPasses_anHttpServerDoesNot() {
        RedisServer redis = server(RedisServer.start());
        TestUpstream notRedis = server(TestUpstream.start("web"));

        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                redis(redis.port(), PASSING),
                redis(notRedis.port(), PASSING));

        assertThat(failures).hasSize(1);
        assertThat(failures.get(0).target()).isEqualTo(notRedis.address());
        assertThat(failures.get(0).reason()).startsWith("Redis: ");
    }

    @Test
    void garbageAnswers_failAsNotTheProtocol() {
        MisbehavingServer garbage = server(new MisbehavingServer(Mode.GARBAGE));

        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                endpoint("127.0.0.1", garbage.port(), PASSING, "/healthz"),
                http(garbage.url("/check"), PASSING),
                jwks(garbage.url("/jwks.json"), PASSING),
                redis(garbage.port(), PASSING));

        assertThat(reasons(failures)).containsExactly(
                "health check GET /healthz: not an HTTP response (\"SSH-2.0-OpenSSH_9.6 ?\")",
                "not an HTTP response (Invalid status line: \"SSH-2.0-OpenSSH_9.6 ?\")",
                "JWKS: not an HTTP response (Invalid status line: \"SSH-2.0-OpenSSH_9.6 ?\")",
                "Redis: answered \"SSH-2.0-OpenSSH_9.6 ?\", not +PONG");
    }

    @Test
    void serverClosingAtOnce_fails() {
        TestUpstream closing = server(TestUpstream.start("closing")).behave(new TestUpstream.Close());

        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                endpoint("127.0.0.1", closing.port(), PASSING, "/status"),
                http("http://" + closing.address() + "/check", PASSING),
                jwks("http://" + closing.address() + "/jwks.json", PASSING));

        assertThat(reasons(failures)).containsExactly(
                "health check GET /status: connection closed without an answer",
                "connection closed without an answer",
                "JWKS: connection closed without an answer");
    }

    @Test
    void tricklingServers_cannotStretchTheDeadline() {
        MisbehavingServer trickle = server(new MisbehavingServer(Mode.TRICKLE));
        MisbehavingServer slowBody = server(new MisbehavingServer(Mode.TRICKLE_BODY));

        List<ProbeFailure> failures = runWithin(SHORT_RUN,
                endpoint("127.0.0.1", trickle.port(), SHORT, "/healthz"),
                http(trickle.url("/check"), SHORT),
                jwks(slowBody.url("/jwks.json"), SHORT),
                redis(trickle.port(), SHORT));

        assertThat(reasons(failures)).containsExactly(
                "health check GET /healthz: no answer within 1s",
                "no answer within 1s",
                "JWKS: key set not received in full within 1s",
                "Redis: no PONG within 1s");
    }

    @Test
    void manyProbes_runInParallel_endingNearTheLargestTimeoutNotTheSum() {
        SilentServer silent = server(silentServer());
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            probes.add(endpoint("127.0.0.1", silent.port(), SHORT, "/healthz"));
            probes.add(http(silent.url("/check"), SHORT));
            probes.add(redis(silent.port(), SHORT));
        }

        long start = System.nanoTime();
        List<ProbeFailure> failures = Preflight.run(probes);

        // 30 probes of 1 s each: one after another they would take 30 s.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SHORT_RUN);
        assertThat(failures).hasSize(30);
    }

    @Test
    void interruptedRun_returnsPromptly_withTheUnfinishedProbesFailed() {
        SilentServer silent = server(silentServer());
        AtomicReference<List<ProbeFailure>> result = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread release = Thread.ofPlatform().start(() -> {
            result.set(Preflight.run(List.of(endpoint("127.0.0.1", silent.port(), Duration.ofMinutes(10), "/h"))));
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> silent.acceptedCount() == 1);

        release.interrupt();

        await().atMost(Duration.ofSeconds(10)).until(() -> result.get() != null);
        assertThat(reasons(result.get())).containsExactly("not finished: the preflight was interrupted");
        assertThat(stillInterrupted).isTrue();
    }

    @Test
    void userInfoInAUrl_staysOutOfTheMessage() {
        int port = RedisServer.freePort();

        List<ProbeFailure> failures = runWithin(QUICK_RUN,
                http("http://svc:s3cret@127.0.0.1:" + port + "/check?x=1", PASSING));

        assertThat(failures.get(0).target()).isEqualTo("http://127.0.0.1:" + port + "/check?x=1");
    }

    @Test
    void probes_refuseArgumentsNoValidConfigHolds() {
        assertThatThrownBy(() -> endpoint("127.0.0.1", 80, Duration.ZERO, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> endpoint("127.0.0.1", 0, PASSING, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> endpoint("127.0.0.1", 80, PASSING, "/x HTTP/1.1\r\nX-Forged: 1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> http("ftp://127.0.0.1/x", PASSING)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> jwks("/relative/jwks.json", PASSING)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> redis(80, Duration.ofDays(2))).isInstanceOf(IllegalArgumentException.class);
    }

    private static SilentServer silentServer() {
        try {
            return new SilentServer();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
