package io.palisade.smuggling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request smuggling and conformance suite: every vector of {@code smuggling/vectors.txt} over a raw socket to the
 * whole gateway in front of a {@link RecordingUpstream}, checked differentially. Either the gateway refuses (a 4xx/5xx)
 * and the upstream saw no complete request, or the upstream saw exactly one request that a strict parser accepts and
 * that matches the vector's meaning (method, target, body, hop-by-hop headers gone); and after each vector the gateway
 * still proxies a good request. With {@code -Dpalisade.smuggling.nginx=true} (bin/test-long) and nginx installed, each
 * vector also goes through nginx in front of the same
 * upstream, and where the two read a vector differently is written to {@code target/smuggling/nginx-differences.md}
 * (a report, not an assertion: nginx is a reference, not the specification).
 */
class SmugglingSuiteTest {
    @RegisterExtension
    static final Gateways GATEWAYS = Gateways.onSystemTime(Gateways.SEVERAL);
    private static final Path REPORTS = Path.of("target", "smuggling");
    private static final byte[] GOOD = "GET /good HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static RecordingUpstream upstream;
    private static GatewayFixture gateway;
    private static NginxProxy nginx;
    private static final Map<String, String[]> COMPARED = new ConcurrentHashMap<>();
    private static final List<String> NOTES = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        upstream = new RecordingUpstream();
        gateway = GATEWAYS.start("""
                server:
                  limits: { max_header_bytes: 8KiB, max_uri_bytes: 8KiB, max_body: 16KiB, header_read_timeout: 2s,
                            client_idle: 2s }
                clusters:
                  up:
                    endpoints: [ "%s" ]
                    timeouts: { connect: 1s, request: 3s, idle: 3s }
                    retries: { attempts: 0 }
                routes:
                  - match: { path_prefix: / }
                    cluster: up
                """.formatted(upstream.address()));
        // The differential doubles the suite's time, so bin/test leaves it to bin/test-long --only smuggling-nginx.
        Optional<Path> binary = Boolean.getBoolean("palisade.smuggling.nginx") ? NginxProxy.binary() : Optional.empty();
        if (binary.isPresent()) {
            nginx = NginxProxy.start(binary.get(), REPORTS.toAbsolutePath().resolve("nginx"), upstream.port());
        }
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            writeReport();
        } finally {
            if (nginx != null) {
                nginx.close();
            }
            upstream.close();
        }
    }

    static List<Vector> vectors() {
        return Vector.load();
    }

    @Test
    void theSuiteHasAtLeast150VectorsWithUniqueNames() {
        List<Vector> all = vectors();
        assertThat(all).hasSizeGreaterThanOrEqualTo(150);
        assertThat(all.stream().map(Vector::name).distinct().count()).isEqualTo(all.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void eachVector_isRefusedWithNothingUpstream_orForwardedAsExactlyOneWellFormedRequest(Vector v) throws Exception {
        Observation g = observe(gateway.port(), v);
        List<String> problems = judge(v, g);
        if (nginx != null) {
            Observation n = observe(nginx.port(), v);
            COMPARED.put(v.name(), new String[] {Vector.escape(v.raw(), 160), g.verdict(), n.verdict(),
                    String.valueOf(v.expect().kind())});
        }
        if (g.incompleteUpstream() > 0 && g.complete().isEmpty()) {
            NOTES.add(v.name() + ": refused after the head had gone upstream; that upstream connection was cut");
        }
        assertThat(problems).as("gateway: %s; upstream: %s", g.answer(), g.upstreamSummary()).isEmpty();
        assertStillServes();
    }

    /** What one proxy made of a vector: its answers and what reached the upstream. */
    record Observation(RawExchange.Answer answer, List<StrictRequest.Parsed> complete, int incompleteUpstream,
                       List<String> upstreamProblems) {
        String verdict() {
            if (answer.hung()) {
                return "hung " + answer;
            }
            if (complete.size() == 1) {
                StrictRequest.Parsed p = complete.get(0);
                return "forwarded " + p.method() + " " + p.pathAndQuery() + " body=" + Vector.escape(p.body(), 60)
                        + " -> " + answer.statuses();
            }
            if (!complete.isEmpty()) {
                return complete.size() + " requests upstream -> " + answer.statuses();
            }
            return (answer.statuses().isEmpty() ? "no response" : "refused " + answer.statuses())
                    + (incompleteUpstream > 0 ? " (partial request upstream)" : "");
        }

        String upstreamSummary() {
            return complete + (incompleteUpstream > 0 ? " + " + incompleteUpstream + " cut" : "") + upstreamProblems;
        }
    }

    private static Observation observe(int port, Vector v) throws IOException {
        int mark = upstream.mark();
        RawExchange.Answer answer = RawExchange.send(port, v);
        List<String> problems = new ArrayList<>();
        try {
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> upstream.since(mark).stream().allMatch(RecordingUpstream.Recording::closed));
        } catch (ConditionTimeoutException e) {
            problems.add("an upstream connection was left open after the client's connection closed");
        }
        List<StrictRequest.Parsed> complete = new ArrayList<>();
        int incomplete = 0;
        for (RecordingUpstream.Recording r : upstream.since(mark)) {
            byte[] bytes = r.bytes();
            switch (StrictRequest.parse(bytes)) {
                case StrictRequest.Complete c -> {
                    complete.add(c.request());
                    if (c.request().length() != bytes.length) {
                        problems.add("bytes after the request on its upstream connection: "
                                + Vector.escape(Arrays.copyOfRange(bytes, c.request().length(), bytes.length), 200));
                    }
                }
                case StrictRequest.Incomplete ignored -> incomplete++;
                case StrictRequest.Malformed m -> problems.add("malformed request upstream (" + m.why() + "): "
                        + Vector.escape(bytes, 300));
            }
        }
        return new Observation(answer, complete, incomplete, problems);
    }

    private static List<String> judge(Vector v, Observation o) {
        List<String> problems = new ArrayList<>(o.upstreamProblems());
        RawExchange.Answer a = o.answer();
        if (a.hung()) {
            problems.add("no end within the guard: " + a);
        }
        if (o.complete().size() > 1) {
            problems.add(o.complete().size() + " requests reached the upstream");
        }
        boolean refused = a.first() >= 400;
        // The differential rule, whatever the vector expects.
        if (o.complete().size() == 1 && a.first() != 200) {
            problems.add("the upstream saw a request but the client's first answer is " + a);
        }
        if (o.complete().isEmpty() && !refused && !a.statuses().isEmpty()) {
            problems.add("answered " + a + " without a refusal, but nothing reached the upstream");
        }
        Vector.Expect e = v.expect();
        switch (e.kind()) {
            case REJECT -> {
                if (!refused) {
                    problems.add("expected a refusal" + (e.status() == 0 ? "" : " " + e.status()) + ", got " + a);
                } else if (e.status() != 0 && a.first() != e.status()) {
                    problems.add("expected " + e.status() + ", got " + a);
                }
                if (!o.complete().isEmpty()) {
                    problems.add("refused, yet the upstream saw " + o.complete());
                }
            }
            case SILENT -> {
                if (!a.statuses().isEmpty()) {
                    problems.add("expected no response, got " + a);
                }
                if (!o.complete().isEmpty()) {
                    problems.add("the upstream saw " + o.complete());
                }
            }
            case FORWARD -> {
                if (o.complete().size() != 1) {
                    problems.add("expected exactly one request upstream, saw " + o.complete().size() + "; client got "
                            + a);
                    break;
                }
                StrictRequest.Parsed p = o.complete().get(0);
                if (!p.method().equals(e.method())) {
                    problems.add("method " + p.method() + ", expected " + e.method());
                }
                String target = e.target().startsWith("/") ? p.pathAndQuery() : p.target();
                if (!target.equals(e.target())) {
                    problems.add("target " + p.target() + ", expected " + e.target());
                }
                if (!Arrays.equals(p.body(), e.body())) {
                    problems.add("body " + Vector.escape(p.body(), 200) + ", expected " + Vector.escape(e.body(), 200));
                }
                for (String name : e.absent()) {
                    if (p.has(name)) {
                        problems.add("hop-by-hop header " + name + " reached the upstream");
                    }
                }
                if (a.statuses().stream().skip(1).anyMatch(s -> s < 400)) {
                    problems.add("a later answer that is not a refusal: " + a);
                }
            }
            case ANY -> {
                // the differential rule above is the whole expectation
            }
        }
        return problems;
    }

    private static void assertStillServes() throws IOException {
        Vector good = new Vector("good", GOOD, new Vector.Expect(Vector.Kind.FORWARD, 200, "GET", "/good",
                new byte[0], java.util.Set.of()), false);
        Observation o = observe(gateway.port(), good);
        assertThat(judge(good, o)).as("a good request after the vector: %s", o.answer()).isEmpty();
    }

    private static void writeReport() throws IOException {
        if (COMPARED.isEmpty() && NOTES.isEmpty()) {
            return;
        }
        Files.createDirectories(REPORTS);
        StringBuilder sb = new StringBuilder("# Gateway and nginx on the smuggling vectors\n\n");
        if (nginx == null) {
            sb.append("nginx is not installed: no comparison.\n");
        } else {
            List<String> names = new ArrayList<>(COMPARED.keySet());
            names.sort(null);
            int differ = 0;
            StringBuilder rows = new StringBuilder();
            for (String name : names) {
                String[] c = COMPARED.get(name);
                if (!sameClass(c[1], c[2])) {
                    differ++;
                    rows.append("| ").append(name).append(" | ").append(c[3].toLowerCase(Locale.ROOT)).append(" | ")
                            .append(cell(c[1])).append(" | ").append(cell(c[2])).append(" | `")
                            .append(cell(c[0])).append("` |\n");
                }
            }
            sb.append(COMPARED.size()).append(" vectors through both; ").append(differ)
                    .append(" read differently (refused vs forwarded, another request upstream, or another status)."
                            + "\n\n| vector | expected | gateway | nginx | bytes |\n|---|---|---|---|---|\n")
                    .append(rows);
        }
        if (!NOTES.isEmpty()) {
            sb.append("\n## Notes on the gateway\n\n");
            NOTES.stream().sorted().forEach(n -> sb.append("- ").append(n).append('\n'));
        }
        Files.writeString(REPORTS.resolve("nginx-differences.md"), sb.toString());
    }

    /** Refused with the same status, or forwarded as the same request (the statuses after the first aside). */
    private static boolean sameClass(String a, String b) {
        return strip(a).equals(strip(b));
    }

    private static String strip(String verdict) {
        int arrow = verdict.indexOf(" -> ");
        String s = arrow < 0 ? verdict : verdict.substring(0, arrow);
        if (s.startsWith("refused [")) {
            return s.substring(0, s.indexOf(']')).split(",")[0];
        }
        return s.replace(" (partial request upstream)", "");
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }
}
