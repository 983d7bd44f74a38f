package io.palisade.smuggling;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An upstream that records the exact bytes of every connection it accepts. It answers one strictly parsed request per
 * connection with {@code 200} and {@code Connection: close} (a malformed one with {@code 400}), then keeps reading
 * until the peer closes, so a connection's recording is everything the proxy ever sent on it: one request, a prefix
 * of one, or more than it should have.
 */
final class RecordingUpstream implements AutoCloseable {
    private static final byte[] OK = ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK_HEAD = ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BAD = ("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** One accepted connection. */
    static final class Recording {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile boolean closed;

        synchronized byte[] bytes() {
            return bytes.toByteArray();
        }

        synchronized void add(byte[] b, int n) {
            bytes.write(b, 0, n);
        }

        boolean closed() {
            return closed;
        }
    }

    private final ServerSocket server;
    private final List<Recording> recordings = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    RecordingUpstream() {
        try {
            server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = Thread.ofPlatform().daemon().name("recording-upstream").start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    /** A mark to pass to {@link #since}: the number of connections accepted so far. */
    int mark() {
        return recordings.size();
    }

    List<Recording> since(int mark) {
        return List.copyOf(recordings.subList(mark, recordings.size()));
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Recording r = new Recording();
                recordings.add(r);
                Thread.ofVirtual().name("recording-upstream-conn").start(() -> serve(s, r));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void serve(Socket s, Recording r) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            boolean answered = false;
            int n;
            while ((n = in.read(buf)) >= 0) {
                r.add(buf, n);
                if (answered) {
                    continue;
                }
                StrictRequest.Result result = StrictRequest.parse(r.bytes());
                if (result instanceof StrictRequest.Complete c) {
                    out.write(c.request().method().equals("HEAD") ? OK_HEAD : OK);
                    out.flush();
                    answered = true;
                } else if (result instanceof StrictRequest.Malformed) {
                    out.write(BAD);
                    out.flush();
                    answered = true;
                }
            }
        } catch (IOException e) {
            // a reset: the recording holds what came before it
        } finally {
            r.closed = true;
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            acceptor.join(5_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
