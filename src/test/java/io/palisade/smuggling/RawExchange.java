package io.palisade.smuggling;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sends one vector's bytes over a fresh socket and reads every response that comes back until the server closes.
 * After the first response the client shuts down its own output, so a server that keeps the connection open still
 * ends it, and whatever it makes of bytes left after the first request shows up as further responses.
 */
final class RawExchange {
    private static final int HANG_GUARD_MILLIS = 20_000;

    /** What came back: the final statuses in order (1xx skipped), and whether the guard ran out. */
    record Answer(List<Integer> statuses, String firstBody, boolean hung) {
        int first() {
            return statuses.isEmpty() ? 0 : statuses.get(0);
        }

        @Override
        public String toString() {
            return (hung ? "hung after " : "") + (statuses.isEmpty() ? "no response" : statuses.toString());
        }
    }

    private RawExchange() {}

    static Answer send(int port, Vector v) throws IOException {
        List<Integer> statuses = new ArrayList<>();
        String firstBody = null;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(HANG_GUARD_MILLIS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            try {
                out.write(v.raw());
                out.flush();
            } catch (IOException e) {
                // the server refused and closed before taking every byte: read what it said
            }
            if (v.fin()) {
                shutdownOutput(socket);
            }
            boolean head = v.isHead();
            try {
                while (true) {
                    Response r = read(in, head);
                    if (r == null) {
                        break;
                    }
                    if (statuses.isEmpty()) {
                        firstBody = r.body();
                        if (!v.fin()) {
                            shutdownOutput(socket);
                        }
                    }
                    statuses.add(r.status());
                    head = false;
                }
            } catch (SocketTimeoutException e) {
                return new Answer(statuses, firstBody, true);
            } catch (IOException e) {
                // a reset after the responses that were read: the server closed
            }
        }
        return new Answer(statuses, firstBody, false);
    }

    private static void shutdownOutput(Socket socket) {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            // already closed by the server
        }
    }

    record Response(int status, String body) {}

    /** One final response (1xx skipped), or null at end of stream before its first byte. */
    static Response read(InputStream in, boolean head) throws IOException {
        while (true) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    if (bytes.size() == 0) {
                        return null;
                    }
                    throw new IOException("end of stream inside a response head: " + bytes);
                }
                bytes.write(b);
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String[] lines = bytes.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            if (status >= 100 && status < 200) {
                continue;
            }
            long length = -1;
            boolean chunked = false;
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i].toLowerCase(Locale.ROOT);
                if (line.startsWith("content-length:")) {
                    length = Long.parseLong(line.substring("content-length:".length()).strip());
                } else if (line.startsWith("transfer-encoding:") && line.contains("chunked")) {
                    chunked = true;
                }
            }
            byte[] body;
            if (head || status == 204 || status == 304) {
                body = new byte[0];
            } else if (chunked) {
                body = dechunk(in);
            } else if (length >= 0) {
                body = in.readNBytes((int) length);
            } else {
                body = in.readAllBytes();
            }
            return new Response(status, new String(body, StandardCharsets.ISO_8859_1));
        }
    }

    private static byte[] dechunk(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = line(in);
            int semi = line.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? line : line.substring(0, semi)).strip(), 16);
            if (size == 0) {
                while (!line(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }
}
