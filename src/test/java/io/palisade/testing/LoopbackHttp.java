package io.palisade.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A small blocking HTTP/1.1 client for load on loopback: one keep-alive connection, GET only, optionally from a chosen
 * source address (any 127.0.0.0/8 address is loopback on Linux, so {@code key: ip} rules can be given many clients).
 *
 * <p>When the server closes a connection (it answers {@code Connection: close}), this client closes its side
 * abortively (SO_LINGER 0, a reset). The server then holds no TIME_WAIT entry for it: under a flood of answers that
 * close their connection, TIME_WAIT entries on the server side make some new connections from reused client ports
 * wait out SYN retransmissions (1 s, then 3 s), which would stall a load generator and distort what it measures.
 * Not thread-safe: one per worker.
 */
public final class LoopbackHttp implements AutoCloseable {
    /** A response: status, headers (lower-case names; repeated fields joined by ", "), body length. */
    public record Response(int status, Map<String, String> headers, int bodyBytes) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final int port;
    private final InetAddress local;
    private final int timeoutMillis;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private long connects;
    private long maxConnectNanos;

    /**
     * @param local         the source address, or null for the default
     * @param timeoutMillis read timeout of one response
     */
    public LoopbackHttp(int port, InetAddress local, int timeoutMillis) {
        this.port = port;
        this.local = local;
        this.timeoutMillis = timeoutMillis;
    }

    /** Sends {@code GET path} with {@code headers} (name, value, ...) and reads the whole response. */
    public Response get(String path, String... headers) throws IOException {
        StringBuilder sb = new StringBuilder(128 + path.length()).append("GET ").append(path)
                .append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port).append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            sb.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        byte[] request = sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        boolean reused = socket != null;
        try {
            return exchange(request);
        } catch (IOException e) {
            abort();
            if (!reused) {
                throw e;
            }
            // The server may close an idle keep-alive connection at any time: one retry on a fresh one.
            return exchange(request);
        }
    }

    /** Connections opened so far (1 when every request shared one). */
    public long connects() {
        return connects;
    }

    /** The longest TCP connect so far. */
    public long maxConnectNanos() {
        return maxConnectNanos;
    }

    private Response exchange(byte[] request) throws IOException {
        if (socket == null) {
            open();
        }
        out.write(request);
        out.flush();
        Response r = read();
        if (r == null) {
            throw new IOException("connection closed before a response");
        }
        if ("close".equalsIgnoreCase(r.header("connection"))) {
            abort();
        }
        return r;
    }

    private void open() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(timeoutMillis);
        if (local != null) {
            s.bind(new InetSocketAddress(local, 0));
        }
        long t0 = System.nanoTime();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMillis);
        maxConnectNanos = Math.max(maxConnectNanos, System.nanoTime() - t0);
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 8192);
        out = new BufferedOutputStream(s.getOutputStream(), 1024);
        connects++;
    }

    private Response read() throws IOException {
        String head = readHead();
        if (head == null) {
            return null;
        }
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2) {
            throw new IOException("bad status line: " + lines[0]);
        }
        int status = Integer.parseInt(statusLine[1]);
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.merge(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(c + 1).trim(), (a, b) -> a + ", " + b);
            }
        }
        int body = 0;
        String length = headers.get("content-length");
        if (length != null) {
            body = Integer.parseInt(length);
            skip(body);
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (;;) {
                int size = Integer.parseInt(readLine().split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                skip(size);
                readLine();
                body += size;
            }
        } else if (status != 204 && status != 304) {
            body = in.readAllBytes().length;
            headers.put("connection", "close");
        }
        return new Response(status, headers, body);
    }

    private void skip(int n) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new IOException("body cut short");
                }
                s = 1;
            }
            left -= s;
        }
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(256);
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = switch (state) {
                case 0, 2 -> c == '\r' ? state + 1 : 0;
                case 1, 3 -> c == '\n' ? state + 1 : (c == '\r' ? 1 : 0);
                default -> 0;
            };
        }
        return b.toString(StandardCharsets.ISO_8859_1).trim();
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /** Closes with a reset (SO_LINGER 0): no TIME_WAIT left on either side. */
    private void abort() {
        Socket s = socket;
        socket = null;
        if (s != null) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    @Override
    public void close() {
        abort();
    }
}
