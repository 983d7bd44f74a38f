package io.palisade.smuggling;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (where the machine has one) as a reverse proxy in front of the same recording upstream, started in the
 * foreground as a child process with everything under its own directory, so the suite can compare the gateway's
 * reading of each vector with a widely deployed proxy's.
 */
final class NginxProxy implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;

    private NginxProxy(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** The nginx binary, when installed (Debian's nginx package puts it in /usr/sbin). */
    static Optional<Path> binary() {
        for (String p : new String[] {"/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"}) {
            if (Files.isExecutable(Path.of(p))) {
                return Optional.of(Path.of(p));
            }
        }
        return Optional.empty();
    }

    static NginxProxy start(Path binary, Path dir, int upstreamPort) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.createDirectories(dir);
        String conf = """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 512; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    client_max_body_size 16k;
                    large_client_header_buffers 4 8k;
                    server {
                        listen 127.0.0.1:%2$d;
                        location / {
                            proxy_pass http://127.0.0.1:%3$d;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_read_timeout 3s;
                        }
                    }
                }
                """.formatted(dir, port, upstreamPort);
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        Process p = new ProcessBuilder(binary.toString(), "-p", dir.toString(), "-c", file.toString(),
                "-e", dir.resolve("error.log").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("nginx exited with " + p.exitValue() + ": "
                        + Files.readString(dir.resolve("stdout.log")));
            }
            try {
                new Socket("127.0.0.1", port).close();
                return new NginxProxy(p, port, dir);
            } catch (IOException notYet) {
                Thread.sleep(50); // polling a child process's port: no event to wait on
            }
        }
        p.destroyForcibly();
        throw new IOException("nginx did not listen on " + port + " within 20 s");
    }

    int port() {
        return port;
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

}
