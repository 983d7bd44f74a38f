package io.palisade.drills;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real gateway as users run it: {@code java -jar target/palisade.jar run --config FILE} in its own process, with
 * leak detection on. A drill talks to it only over its ports, and can check afterwards that it never restarted, never
 * logged a leak and shut down cleanly.
 */
final class GatewayProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path config;
    private final Path log;
    private final int port;
    private final int adminPort;
    private final long pid;

    private GatewayProcess(Process process, Path config, Path log, int port, int adminPort) {
        this.process = process;
        this.config = config;
        this.log = log;
        this.port = port;
        this.adminPort = adminPort;
        this.pid = process.pid();
    }

    /** Writes {@code yaml} (with listener and admin on the given ports) and starts the gateway on it. */
    static GatewayProcess start(String name, String yaml, int port, int adminPort) throws IOException,
            InterruptedException {
        return start(name, yaml, port, adminPort, List.of());
    }

    /**
     * Like {@link #start(String, String, int, int)}, with extra JVM options after the defaults ({@code -Xms256m
     * -Xmx512m}, paranoid leak detection); a later {@code -Xmx} or {@code -Xms} replaces the default.
     */
    static GatewayProcess start(String name, String yaml, int port, int adminPort, List<String> jvmArgs)
            throws IOException, InterruptedException {
        return start(name, yaml, port, adminPort, jvmArgs, List.of());
    }

    /**
     * Like {@link #start(String, String, int, int, List)}, with {@code launcher} running {@code java} (it must exec
     * it, as {@code prlimit --nofile=N:N} does), e.g. to start the gateway under a low open file limit.
     */
    static GatewayProcess start(String name, String yaml, int port, int adminPort, List<String> jvmArgs,
                                List<String> launcher) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(Path.of(System.getProperty("palisade.drill.reports", "target/drills")));
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, "listeners:\n  http: { address: 127.0.0.1:" + port + " }\nadmin:\n  address: "
                + "127.0.0.1:" + adminPort + "\n" + withRollout(yaml));
        // A fresh store per drill: versions left by an earlier run must not decide what this one serves.
        deleteTree(dir.resolve(name + ".state"));
        Files.deleteIfExists(dir.resolve(name + ".gateway.log"));
        return launch(name, dir, port, adminPort, jvmArgs, launcher);
    }

    /** The same gateway started again on its config file and its state dir, as after a crash: what serves now? */
    static GatewayProcess restart(GatewayProcess old, String name) throws IOException, InterruptedException {
        return launch(name, old.config.getParent(), old.port, old.adminPort, List.of(), List.of());
    }

    private static GatewayProcess launch(String name, Path dir, int port, int adminPort, List<String> jvmArgs,
                                         List<String> launcher) throws IOException, InterruptedException {
        Path config = dir.resolve(name + ".yaml");
        Path state = dir.resolve(name + ".state");
        Path log = dir.resolve(name + ".gateway.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/env"))) {
            // A signal ignored by whoever started the tests (nohup) stays ignored in children; the gateway must
            // get SIGHUP the way an operator's shell would deliver it.
            cmd.addAll(List.of("/usr/bin/env", "--default-signal=HUP"));
        }
        cmd.addAll(launcher);
        cmd.addAll(List.of(java, "-Xms256m", "-Xmx512m", "-Dio.netty.leakDetection.level=paranoid"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-jar", System.getProperty("palisade.jar", "target/palisade.jar"), "run", "--config",
                config.toString(), "--state", state.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        GatewayProcess gp = new GatewayProcess(p, config, log, port, adminPort);
        gp.awaitReady();
        return gp;
    }

    /** SIGKILL: no drain, no shutdown hook, as a crash or an OOM killer would end it. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /**
     * Rewrites the config file with {@code yaml} (listener and admin on the same ports, as a reload requires) and
     * asks the running gateway to reload it, as an operator would: {@code POST /config/reload}. The answer is 200
     * when the new config is live, 422 with the errors when it was refused.
     */
    HttpResponse<String> reload(String yaml) throws IOException, InterruptedException {
        // Written beside and moved over, so a reload triggered by anyone else never reads half a file.
        Path next = config.resolveSibling(config.getFileName() + ".next");
        Files.writeString(next, "listeners:\n  http: { address: 127.0.0.1:" + port + " }\nadmin:\n  address: "
                + "127.0.0.1:" + adminPort + "\n" + withRollout(yaml));
        Files.move(next, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return HTTP.send(HttpRequest.newBuilder(URI.create(admin("/config/reload"))).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("gateway exited with " + process.exitValue() + ":\n" + logText());
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(admin("/readyz")))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100); // polling the child's readiness, not waiting for gateway time
        }
        throw new IllegalStateException("gateway not ready within 60s:\n" + logText());
    }

    int port() {
        return port;
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    String admin(String path) {
        return "http://127.0.0.1:" + adminPort + path;
    }

    long pid() {
        return pid;
    }

    boolean alive() {
        return process.isAlive();
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "<no log: " + e + ">";
        }
    }

    /** A call to the admin API, as the CLI makes it: JSON in, JSON out, on loopback without a token. */
    HttpResponse<String> adminCall(String method, String path, String json) throws IOException,
            InterruptedException {
        HttpRequest.BodyPublisher body = json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json);
        return HTTP.send(HttpRequest.newBuilder(URI.create(admin(path))).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").method(method, body).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The config file's listener and admin lines with {@code yaml} after them: what a release of it sends. */
    String fullConfig(String yaml) {
        return "listeners:\n  http: { address: 127.0.0.1:" + port + " }\nadmin:\n  address: 127.0.0.1:" + adminPort
                + "\n" + yaml;
    }

    String metrics() throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(admin("/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** SIGTERM, then waits for the drain; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                stop();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A drill's reload means "serve this now" unless the drill is about staged rollouts and says how to stage them;
     * the release drills write their own {@code rollout:} section.
     */
    static String withRollout(String yaml) {
        return yaml.contains("rollout:") ? yaml : yaml + "\nrollout: { steps: [100%] }\n";
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
