package io.palisade.testing;

import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} started by a test on a free 127.0.0.1 port, with a tiny RESP client for admin commands.
 * Fails (never skips) when {@code redis-server} is missing: CI installs it.
 */
public final class RedisServer implements AutoCloseable {
    private final Path binary;
    private final Path dir;
    private final int port;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(Path binary, Path dir, int port, List<String> extraArgs) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** Starts a server on a free port. */
    public static RedisServer start() {
        return start(freePort());
    }

    public static RedisServer start(int port) {
        return start(port, List.of());
    }

    /** Starts a server on {@code port} with extra command-line options, e.g. {@code --rename-command SCRIPT ""}. */
    public static RedisServer start(int port, List<String> extraArgs) {
        try {
            RedisServer server = new RedisServer(findBinary(), Files.createTempDirectory("palisade-redis"), port,
                    extraArgs);
            server.startProcess();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A port nothing listens on right now, outside the range outgoing connections take theirs from. */
    public static int freePort() {
        return FreePorts.next();
    }

    public int port() {
        return port;
    }

    public String address() {
        return "127.0.0.1:" + port;
    }

    /** Kills the process at once (SIGKILL): connections drop without a goodbye. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts the server again on the same port (empty: no persistence, no script cache). */
    public void restart() {
        kill();
        startProcess();
    }

    /** Sends one command and returns its reply (String, Long, List or an "ERR..." String for errors). */
    public Object command(String... args) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(encode(args));
            out.flush();
            return read(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a command without waiting for its reply (e.g. DEBUG SLEEP, which answers only after sleeping). */
    public void send(String... args) {
        Thread t = new Thread(() -> {
            try {
                command(args);
            } catch (UncheckedIOException ignored) {
                // The test observes the server's behaviour, not this reply.
            }
        }, "redis-admin");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        kill();
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is harmless.
        }
    }

    private void startProcess() {
        try {
            List<String> cmd = new ArrayList<>(List.of(binary.toString(),
                    "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", dir.toString(), "--enable-debug-command", "yes", "--loglevel", "warning"));
            cmd.addAll(extraArgs);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.log").toFile());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process p = process;
        await("redis-server on port " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (!p.isAlive()) {
                        throw new AssertionError("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                    }
                    try {
                        return "PONG".equals(command("PING"));
                    } catch (UncheckedIOException e) {
                        return false;
                    }
                });
    }

    private static Path findBinary() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String d : (path + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/usr/local/bin")
                .split(File.pathSeparator)) {
            if (d.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(d, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("redis-server not found on PATH. The Redis tests start a real server and never skip;"
                + " install it (Debian/Ubuntu: apt-get install -y redis-server), as CI does.");
    }

    private static byte[] encode(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Object read(InputStream in) throws IOException {
        String line = readLine(in);
        char type = line.charAt(0);
        String rest = line.substring(1);
        switch (type) {
            case '+', '-' -> {
                return rest;
            }
            case ':' -> {
                return Long.parseLong(rest);
            }
            case '$' -> {
                int len = Integer.parseInt(rest);
                if (len < 0) {
                    return "";
                }
                byte[] data = in.readNBytes(len + 2);
                return new String(data, 0, len, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    items.add(read(in));
                }
                return items;
            }
            default -> throw new IOException("unexpected reply: " + line);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read();
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed");
    }
}
