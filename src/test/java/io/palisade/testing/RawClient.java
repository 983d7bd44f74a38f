package io.palisade.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A byte-level HTTP/1.1 client for what well-behaved clients cannot send: raw framing, bad headers, pipelining.
 * Reads one response at a time (Content-Length, chunked or until close).
 */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawClient(int port) throws IOException {
        this(InetAddress.getLoopbackAddress(), port);
    }

    /**
     * From {@code local} (another loopback address such as 127.0.0.2, for tests of what a server decides per client
     * address) to the server on 127.0.0.1.
     */
    public static RawClient from(InetAddress local, int port) throws IOException {
        return new RawClient(new Socket(InetAddress.getLoopbackAddress(), port, local, 0));
    }

    private RawClient(InetAddress server, int port) throws IOException {
        this(new Socket(server, port));
    }

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(20_000);
        // Buffered: the head is parsed a byte at a time, which unbuffered would be a system call per byte.
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public RawClient send(String s) throws IOException {
        return send(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
        return this;
    }

    /** A parsed response. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Reads one response; null if the server closed the connection before sending one. */
    public Response read() throws IOException {
        String head = readHead();
        if (head == null) {
            return null;
        }
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.merge(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1)
                        .trim(), (a, b) -> a + ", " + b);
            }
        }
        if (status == 100) {
            return new Response(status, headers, "");
        }
        String body;
        if (headers.containsKey("content-length")) {
            body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))),
                    StandardCharsets.ISO_8859_1);
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = readLine();
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    readLine();
                    break;
                }
                b.write(in.readNBytes(size));
                readLine();
            }
            body = b.toString(StandardCharsets.ISO_8859_1);
        } else if (status == 204 || status == 304) {
            body = "";
        } else {
            body = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        return new Response(status, headers, body);
    }

    /** Whether the server closed the connection (reads EOF) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** Half-closes: the server reads EOF after what was sent. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    public void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c;
            try {
                c = in.read();
            } catch (IOException e) {
                return null;
            }
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            b.write(c);
            state = switch (state) {
                case 0, 2 -> c == '\r' ? state + 1 : 0;
                case 1, 3 -> c == '\n' ? state + 1 : 0;
                default -> 0;
            };
        }
        return b.toString(StandardCharsets.ISO_8859_1).trim();
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
