package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sends one {@link BadInputs.Case} over a raw socket and reports what came back: the status line, the JSON
 * {@code error}, whether the server then closed, and, on a connection left open, the status of a follow-up good
 * request on it. Blocking reads wait for the server's answer; the socket timeout only guards against a hang.
 */
final class BadInputClient {
    static final String GOOD_REQUEST = "GET /after HTTP/1.1\r\n" + BadInputs.HOST + "\r\n";
    private static final int HANG_GUARD_MILLIS = 30_000;

    /**
     * @param statusLine the response's status line, or null when none came
     * @param error      the JSON body's {@code error}, or null
     * @param closed     the server closed the connection after the response (or without one)
     * @param followUp   the status of a good request sent afterwards on the same connection, or 0 if not tried
     */
    record Outcome(String statusLine, String error, boolean closed, int followUp) {
        int status() {
            return statusLine == null ? 0 : Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    /** A response read off the wire. */
    record Response(String statusLine, String body) {}

    private BadInputClient() {}

    static Outcome send(String host, int port, BadInputs.Case c) throws IOException {
        try (Socket socket = new Socket(host, port)) {
            if (c.delivery() == BadInputs.Delivery.CONNECT_AND_CLOSE) {
                return new Outcome(null, null, true, 0);
            }
            socket.setSoTimeout(HANG_GUARD_MILLIS);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            ScheduledExecutorService dribbler = null;
            try {
                switch (c.delivery()) {
                    case SEND -> out.write(c.bytes());
                    case SEND_THEN_HALF_CLOSE -> {
                        out.write(c.bytes());
                        socket.shutdownOutput();
                    }
                    case DRIBBLE -> dribbler = dribble(out, c.bytes());
                    default -> throw new IllegalStateException(c.delivery().name());
                }
                Response response = readResponse(in);
                if (response == null) {
                    return new Outcome(null, null, true, 0);
                }
                String error = jsonError(response.body());
                if (c.closes()) {
                    return new Outcome(response.statusLine(), error, in.read() == -1, 0);
                }
                out.write(GOOD_REQUEST.getBytes(StandardCharsets.US_ASCII));
                Response next = readResponse(in);
                int followUp = next == null ? -1 : Integer.parseInt(next.statusLine().split(" ")[1]);
                return new Outcome(response.statusLine(), error, false, followUp);
            } finally {
                if (dribbler != null) {
                    dribbler.shutdownNow();
                }
            }
        }
    }

    /**
     * Sends {@code c} and asserts the whole contract: its exact status and error code (or no answer), whether the
     * connection closed, a good request on the same connection when it stays open, and on a new one.
     */
    static void assertAnswered(BadInputs.Case c, String host, int port) throws IOException {
        Outcome outcome = send(host, port, c);
        if (c.status() == 0) {
            assertThat(outcome.statusLine()).as("no response expected").isNull();
        } else {
            assertThat(outcome.statusLine()).isEqualTo("HTTP/1.1 " + HttpResponseStatus.valueOf(c.status()));
            assertThat(outcome.error()).isEqualTo(c.error());
        }
        assertThat(outcome.closed()).as("connection closed").isEqualTo(c.closes());
        if (!c.closes()) {
            assertThat(outcome.followUp()).as("good request on the same connection").isEqualTo(200);
        }
        assertThat(goodRequestOnNewConnection(host, port)).isEqualTo("HTTP/1.1 200 OK");
    }

    /** A fresh connection, one good request: the server still serves after whatever came before. */
    static String goodRequestOnNewConnection(String host, int port) throws IOException {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(HANG_GUARD_MILLIS);
            socket.getOutputStream().write(GOOD_REQUEST.getBytes(StandardCharsets.US_ASCII));
            Response r = readResponse(socket.getInputStream());
            return r == null ? null : r.statusLine();
        }
    }

    private static ScheduledExecutorService dribble(OutputStream out, byte[] bytes) {
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dribbler");
            t.setDaemon(true);
            return t;
        });
        int[] next = {0};
        ex.scheduleAtFixedRate(() -> {
            if (next[0] >= bytes.length) {
                return;
            }
            try {
                out.write(bytes[next[0]++]);
                out.flush();
            } catch (IOException e) {
                ex.shutdown(); // the server closed: stop writing
            }
        }, 0, BadInputs.DRIBBLE_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        return ex;
    }

    /** Reads one Content-Length-delimited response, or returns null on end-of-stream before any byte. */
    static Response readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new IOException("end of stream inside a response head: " + head);
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int length = 0;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].toLowerCase(Locale.ROOT);
            if (line.startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).strip());
            }
        }
        byte[] body = in.readNBytes(length);
        return new Response(lines[0], new String(body, StandardCharsets.UTF_8));
    }

    private static String jsonError(String body) {
        String key = "\"error\":\"";
        int i = body.indexOf(key);
        return i < 0 ? null : body.substring(i + key.length(), body.indexOf('"', i + key.length()));
    }
}
