package io.palisade.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server started by a test: {@code initdb} into a temp dir, {@code pg_ctl start} on a free
 * 127.0.0.1 port with its Unix socket in that dir, password (SCRAM) login over TCP; stopped and deleted on close.
 * Fails (never skips) when the server binaries are missing: CI installs them ({@code bin/test}). PostgreSQL refuses
 * to run as root, so as root (here and in CI) {@code initdb} and {@code pg_ctl} run as {@code nobody} through
 * {@code runuser}, in a temp dir that {@code nobody} owns. A throwaway server: fsync is off.
 *
 * <pre>{@code
 * try (PostgresServer pg = PostgresServer.start()) {
 *     String url = pg.createDatabase(); // jdbc:postgresql://127.0.0.1:PORT/test_1
 *     DriverManager.getConnection(url, pg.user(), pg.password());
 * }
 * }</pre>
 */
public final class PostgresServer implements AutoCloseable {
    private static final String USER = "palisade";
    private static final String PASSWORD = "palisade-test";
    private static final long COMMAND_SECONDS = 120;

    private final Path bin;
    private final Path dir;
    private final int port;
    private final boolean asNobody;
    private final AtomicInteger databases = new AtomicInteger();
    private boolean running;

    private PostgresServer(Path bin, Path dir, int port, boolean asNobody) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asNobody = asNobody;
    }

    /** Initialises a cluster in a new temp dir and starts it on a free port. */
    public static PostgresServer start() {
        Path bin = findBinaries();
        boolean root = isRoot();
        Path dir;
        try {
            dir = Files.createTempDirectory("palisade-pg");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PostgresServer server = new PostgresServer(bin, dir, RedisServer.freePort(), root);
        try {
            server.initAndStart();
            return server;
        } catch (RuntimeException | Error e) {
            try {
                server.close();
            } catch (RuntimeException | Error c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public String user() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates a new, empty database and returns its JDBC URL: one per test keeps tests apart on one server. */
    public String createDatabase() {
        String name = "test_" + databases.incrementAndGet();
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new AssertionError("creating database " + name + " on PostgreSQL port " + port, e);
        }
        return jdbcUrl(name);
    }

    /** Stops the server (fast shutdown: open connections are cut) and deletes its directory. */
    @Override
    public void close() {
        if (running) {
            running = false;
            try {
                run("stopping PostgreSQL", List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(),
                        "-m", "fast", "-w", "-t", "60", "stop"));
            } catch (AssertionError e) {
                run("stopping PostgreSQL", List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(),
                        "-m", "immediate", "-w", "-t", "60", "stop"));
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.comparingInt(Path::getNameCount).reversed()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is harmless.
        }
    }

    private Path data() {
        return dir.resolve("data");
    }

    private void initAndStart() {
        try {
            Path pwfile = dir.resolve("pwfile");
            Files.writeString(pwfile, PASSWORD + "\n");
            if (asNobody) {
                UserPrincipal nobody = dir.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName("nobody");
                Files.setOwner(dir, nobody);
                Files.setOwner(pwfile, nobody);
            }
            run("initdb", List.of(bin.resolve("initdb").toString(), "-D", data().toString(), "-U", USER,
                    "--pwfile=" + pwfile, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String options = "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                + " -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=60";
        running = true;
        run("starting PostgreSQL", List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(),
                "-l", dir.resolve("postgres.log").toString(), "-o", options, "-w", "-t", "60", "start"));
    }

    /** Runs one command (as nobody when we are root) and fails with its output and the server log if it fails. */
    private void run(String what, List<String> command) {
        List<String> cmd = new ArrayList<>();
        if (asNobody) {
            cmd.addAll(List.of(findOnPath("runuser", "/usr/sbin", "/sbin").toString(), "-u", "nobody", "--"));
        }
        cmd.addAll(command);
        Path out = dir.resolve("command.log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(what + " did not finish in " + COMMAND_SECONDS + " s: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(what + " failed (exit " + p.exitValue() + "): " + cmd + "\n"
                        + Files.readString(out) + logTail());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + " interrupted", e);
        }
    }

    private String logTail() throws IOException {
        Path log = dir.resolve("postgres.log");
        return Files.exists(log) ? "\npostgres.log:\n" + Files.readString(log) : "";
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * The directory holding initdb, pg_ctl and postgres: found on PATH (here /usr/local/bin links to them) or where
     * Debian's postgresql package puts them, off PATH, the newest version first.
     */
    private static Path findBinaries() {
        List<Path> dirs = new ArrayList<>();
        for (String d : (System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/local/bin"
                + File.pathSeparator + "/usr/bin").split(File.pathSeparator)) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            versions.sorted(Comparator.comparingInt(PostgresServer::majorVersion).reversed())
                    .forEach(v -> dirs.add(v.resolve("bin")));
        } catch (IOException ignored) {
            // No Debian-style install; PATH was the other place to look.
        }
        for (Path d : dirs) {
            Path pgCtl = d.resolve("pg_ctl");
            if (Files.isExecutable(pgCtl)) {
                try {
                    // pg_ctl starts the postgres beside its real file, so work from there.
                    Path real = pgCtl.toRealPath().getParent();
                    if (Files.isExecutable(real.resolve("initdb")) && Files.isExecutable(real.resolve("postgres"))) {
                        return real;
                    }
                } catch (IOException ignored) {
                    // A dangling link: look further.
                }
            }
        }
        throw new AssertionError("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in"
                + " /usr/lib/postgresql/*/bin. The PostgreSQL tests start a real server and never skip; install it"
                + " (Debian/Ubuntu: apt-get install -y postgresql), as bin/test does in CI.");
    }

    private static int majorVersion(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Path findOnPath(String name, String... extra) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of(extra));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name);
            }
        }
        throw new AssertionError(name + " not found: running PostgreSQL as root needs it to switch to nobody");
    }
}
