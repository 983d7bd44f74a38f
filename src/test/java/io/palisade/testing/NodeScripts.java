package io.palisade.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the JavaScript clients and servers in {@code src/test/node} (npm's {@code ws}, at the version its
 * package-lock.json pins) with the machine's {@code node}; installs them with {@code npm ci} on first use, as
 * {@code bin/test} does before the suite.
 */
public final class NodeScripts {
    public static final Path DIR = Path.of("src/test/node").toAbsolutePath();

    private NodeScripts() {}

    /** Installs the locked packages unless they are there. */
    public static synchronized void install() throws IOException, InterruptedException {
        if (Files.isDirectory(DIR.resolve("node_modules/ws"))) {
            return;
        }
        Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(DIR.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("npm ci finished").isTrue();
        assertThat(p.exitValue()).as("npm ci in %s:%n%s", DIR, out).isZero();
    }

    /** A long-running script (a server) that prints its port on its first line; ends when closed. */
    public static final class Server implements AutoCloseable {
        private final Process process;
        private final int port;

        public Server(String script, String... args) throws IOException, InterruptedException {
            install();
            List<String> cmd = new ArrayList<>(List.of("node", script));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).directory(DIR.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("%s printed its port", script).isNotNull().matches("\\d+");
            port = Integer.parseInt(first.strip());
        }

        public int port() {
            return port;
        }

        @Override
        public void close() {
            try {
                process.getOutputStream().close();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }

    /** What a script that runs to its end printed, and its exit code. */
    public record Run(int exitCode, String output) {}

    /** Runs {@code script} to its end (at most 120 s). */
    public static Run run(String script, String... args) throws IOException, InterruptedException {
        install();
        List<String> cmd = new ArrayList<>(List.of("node", script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, out);
        }
        return new Run(p.exitValue(), out);
    }
}
