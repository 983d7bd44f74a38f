package io.palisade.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.palisade.config.Address;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Active checks against real servers on loopback. The tests wait for the checks' own results (Awaitility on the
 * results and the tracker), never for an interval to have passed; the waits' limits only bound a hang. An answering
 * server gets a deadline no busy machine reaches, so a check against it can only pass; only the silent server's test
 * has a short one, since a server that never answers times out however fast the machine is.
 */
class ActiveHealthCheckerTest {
    private static final int HEALTHY_AFTER = 2;
    private static final int UNHEALTHY_AFTER = 3;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HealthCheckConfig CONFIG =
            new HealthCheckConfig("/health", Duration.ofMillis(50), Duration.ofSeconds(10), UNHEALTHY_AFTER,
                    HEALTHY_AFTER);
    private static final HealthCheckConfig SHORT_DEADLINE =
            new HealthCheckConfig("/health", Duration.ofMillis(50), Duration.ofMillis(300), UNHEALTHY_AFTER,
                    HEALTHY_AFTER);

    private static EventLoopGroup group;
    private static ActiveHealthChecker checker;

    private final HealthTracker tracker = new HealthTracker();
    private final List<ProbeResult> results = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> cleanup = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        checker = ActiveHealthChecker.create(group);
    }

    @AfterAll
    static void stopGroup() {
        checker.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    @Test
    void answeringEndpoint_becomesAndStaysHealthy() {
        HttpServer server = server(0, 200);
        start(server.getAddress().getPort());

        await().atMost(WAIT).until(() -> tracker.consecutivePasses() >= 5);
        assertThat(tracker.state()).isEqualTo(HealthState.HEALTHY);
        assertThat(results).allSatisfy(r -> assertThat(r.passed()).isTrue());
        assertThat(results.get(0).detail()).isEqualTo("status 200");
    }

    @Test
    void check_sendsGetWithHostAndConnectionClose() {
        AtomicReference<String> seen = new AtomicReference<>();
        HttpServer server = startHttp(0, exchange -> {
            seen.compareAndSet(null, exchange.getRequestMethod() + " " + exchange.getRequestURI() + " host="
                    + exchange.getRequestHeaders().getFirst("Host") + " connection="
                    + exchange.getRequestHeaders().getFirst("Connection"));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        int port = server.getAddress().getPort();
        start(port);

        await().atMost(WAIT).until(() -> seen.get() != null);
        assertThat(seen.get()).isEqualTo("GET /health host=127.0.0.1:" + port + " connection=close");
    }

    @Test
    void redirect_passesAndServerError_fails() {
        HttpServer redirecting = server(0, 302);
        HttpServer failing = server(0, 503);
        HealthTracker failingTracker = new HealthTracker();
        List<ProbeResult> failingResults = new CopyOnWriteArrayList<>();
        start(redirecting.getAddress().getPort());
        cleanup.add(checker.start(new Address("127.0.0.1", failing.getAddress().getPort()), CONFIG, r -> {
            failingResults.add(r);
            failingTracker.record(r.passed(), HEALTHY_AFTER, UNHEALTHY_AFTER);
        }));

        await().atMost(WAIT).until(() -> tracker.state() == HealthState.HEALTHY
                && failingTracker.state() == HealthState.UNHEALTHY);
        assertThat(failingResults.get(0)).isEqualTo(new ProbeResult(false, "status 503"));
    }

    @Test
    void stoppedServer_goesUnhealthyAfterUnhealthyAfterRefusedChecks_andRecoversWhenBack() {
        HttpServer server = server(0, 200);
        int port = server.getAddress().getPort();
        start(port);
        await().atMost(WAIT).until(() -> tracker.state() == HealthState.HEALTHY);

        int atStop = results.size();
        server.stop(0);
        await().atMost(WAIT).until(() -> tracker.state() == HealthState.UNHEALTHY);
        // A check in flight when the server stopped ends as it may (passed, or a reset); every later one is refused.
        List<ProbeResult> afterStop = List.copyOf(results.subList(atStop + 1, results.size()));
        assertThat(afterStop).hasSizeGreaterThanOrEqualTo(UNHEALTHY_AFTER - 1).allSatisfy(r -> {
            assertThat(r.passed()).isFalse();
            assertThat(r.detail()).startsWith("connect failed");
        });

        server(port, 200);
        await().atMost(WAIT).until(() -> tracker.state() == HealthState.HEALTHY);
        assertThat(tracker.consecutivePasses()).isGreaterThanOrEqualTo(HEALTHY_AFTER);
    }

    @Test
    void silentServer_goesUnhealthyByTimeout() throws IOException {
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread acceptor = Thread.ofVirtual().start(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept()); // accepted, never read from or written to
                } catch (IOException e) {
                    return;
                }
            }
        });
        cleanup.add(() -> {
            silent.close();
            acceptor.join();
            for (Socket s : held) {
                s.close();
            }
        });
        start(silent.getLocalPort(), SHORT_DEADLINE);

        await().atMost(WAIT).until(() -> tracker.state() == HealthState.UNHEALTHY);
        assertThat(results).isNotEmpty().allSatisfy(r -> {
            assertThat(r.passed()).isFalse();
            assertThat(r.detail()).isEqualTo("timed out after 300 ms");
        });
        assertThat(held).isNotEmpty();
    }

    @Test
    void closedCheck_reportsNoMoreResults() {
        HttpServer server = server(0, 200);
        int port = server.getAddress().getPort();
        ActiveHealthChecker.Check check = start(port);
        await().atMost(WAIT).until(() -> results.size() >= 2);

        check.close();
        int atClose = results.size();
        // A witness: a check of the same server on the same event loop, started after the close. Once it has
        // reported three times, the closed check had the same intervals to report in, and must not have.
        List<ProbeResult> witness = new CopyOnWriteArrayList<>();
        cleanup.add(checker.start(new Address("127.0.0.1", port), CONFIG, witness::add));
        await().atMost(WAIT).until(() -> witness.size() >= 3);
        assertThat(results.size()).as("one result may have been on its way when close() ran; then silence")
                .isLessThanOrEqualTo(atClose + 1);
    }

    private ActiveHealthChecker.Check start(int port) {
        return start(port, CONFIG);
    }

    private ActiveHealthChecker.Check start(int port, HealthCheckConfig config) {
        ActiveHealthChecker.Check check = checker.start(new Address("127.0.0.1", port), config, r -> {
            results.add(r);
            tracker.record(r.passed(), HEALTHY_AFTER, UNHEALTHY_AFTER);
        });
        cleanup.add(check);
        return check;
    }

    private HttpServer server(int port, int status) {
        return startHttp(port, exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = "ok".getBytes();
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
    }

    private HttpServer startHttp(int port, com.sun.net.httpserver.HttpHandler handler) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            server.createContext("/", handler);
            server.start();
            cleanup.add(() -> server.stop(0));
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
