package io.palisade.release;

import io.palisade.config.Address;
import io.palisade.config.Syntax;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The probe steps on a plain socket: DNS, TCP connect, a health check's status line, Redis PING. Blocking I/O on the
 * attempt's virtual thread, every read bounded by what is left of the deadline (checked again after each read, so a
 * server trickling one byte at a time cannot stretch it).
 */
final class SocketChecks {
    static final String USER_AGENT = "palisade-preflight";
    private static final int MAX_LINE = 8192;
    private static final byte[] PING = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ProbeAttempt attempt;

    SocketChecks(ProbeAttempt attempt) {
        this.attempt = attempt;
    }

    void endpoint(Probe.Endpoint e) throws ProbeAttempt.Failed {
        Socket socket = connect(e.host(), e.port());
        if (e.healthPath().isEmpty()) {
            return;
        }
        String path = e.healthPath().get();
        String step = "health check GET " + path;
        attempt.step(step + ": no answer within " + attempt.timeoutText());
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + new Address(e.host(), e.port())
                + "\r\nUser-Agent: " + USER_AGENT + "\r\nAccept: */*\r\nConnection: close\r\n\r\n";
        write(socket, request.getBytes(StandardCharsets.US_ASCII), step);
        Optional<String> line = firstLine(socket, step);
        if (line.isEmpty()) {
            throw new ProbeAttempt.Failed(step + ": connection closed without an answer");
        }
        int status = statusOf(line.get());
        if (status < 0) {
            throw new ProbeAttempt.Failed(step + ": not an HTTP response (" + excerpt(line.get()) + ")");
        }
        if (!e.healthyStatus().test(status)) {
            throw new ProbeAttempt.Failed(step + " answered " + status);
        }
    }

    void redis(Probe.Redis r) throws ProbeAttempt.Failed {
        Socket socket = connect(r.host(), r.port());
        attempt.step("Redis: no PONG within " + attempt.timeoutText());
        write(socket, PING, "Redis");
        Optional<String> line = firstLine(socket, "Redis");
        if (line.isEmpty()) {
            throw new ProbeAttempt.Failed("Redis: connection closed without a reply");
        }
        String reply = line.get();
        if (reply.equals("+PONG")) {
            return;
        }
        throw new ProbeAttempt.Failed(reply.startsWith("-") ? "Redis: answered " + printable(reply)
                : "Redis: answered " + excerpt(reply) + ", not +PONG");
    }

    /**
     * Resolves {@code host} and connects to its addresses in turn until one accepts, within the deadline; the socket
     * is closed when the attempt ends.
     */
    Socket connect(String host, int port) throws ProbeAttempt.Failed {
        attempt.step("DNS: no answer within " + attempt.timeoutText());
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            String detail = String.valueOf(e.getMessage());
            throw new ProbeAttempt.Failed(detail.contains("Temporary failure")
                    ? "DNS: lookup failed (temporary failure in name resolution)" : "DNS: no such host");
        }
        attempt.nanosLeft();
        String timedOut = "TCP connect timed out after " + attempt.timeoutText();
        attempt.step(timedOut);
        ProbeAttempt.Failed last = attempt.expired();
        for (InetAddress address : addresses) {
            Socket socket = attempt.hold(new Socket(Proxy.NO_PROXY));
            try {
                socket.connect(new InetSocketAddress(address, port), attempt.millisLeft());
                socket.setTcpNoDelay(true);
                return socket;
            } catch (SocketTimeoutException e) {
                last = new ProbeAttempt.Failed(timedOut);
            } catch (ConnectException e) {
                last = new ProbeAttempt.Failed(String.valueOf(e.getMessage()).contains("refused")
                        ? "TCP connect refused" : "TCP connect failed (" + e.getMessage() + ")");
            } catch (IOException e) {
                last = new ProbeAttempt.Failed("TCP connect failed (" + e.getMessage() + ")");
            }
            close(socket);
        }
        throw last;
    }

    private void write(Socket socket, byte[] bytes, String step) throws ProbeAttempt.Failed {
        try {
            // A request this small fits the socket's send buffer: the write does not wait for the peer.
            socket.getOutputStream().write(bytes);
        } catch (IOException e) {
            throw attempt.ioFailure(step + ": sending failed (" + e.getMessage() + ")");
        }
    }

    /** The first line the peer sends, without its line end; empty when it closed before sending anything. */
    private Optional<String> firstLine(Socket socket, String step) throws ProbeAttempt.Failed {
        byte[] buf = new byte[MAX_LINE];
        int size = 0;
        try {
            InputStream in = socket.getInputStream();
            while (true) {
                socket.setSoTimeout(attempt.millisLeft());
                int n = in.read(buf, size, buf.length - size);
                if (n < 0) {
                    return size == 0 ? Optional.empty() : Optional.of(text(buf, size));
                }
                for (int i = size; i < size + n; i++) {
                    if (buf[i] == '\n') {
                        return Optional.of(text(buf, i > 0 && buf[i - 1] == '\r' ? i - 1 : i));
                    }
                }
                size += n;
                if (size == buf.length) {
                    return Optional.of(text(buf, size));
                }
            }
        } catch (SocketTimeoutException e) {
            throw attempt.expired();
        } catch (IOException e) {
            throw attempt.ioFailure(step + ": connection failed (" + e.getMessage() + ")");
        }
    }

    /** The status of an HTTP/1.x status line, or -1 when the line is not one. */
    static int statusOf(String line) {
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' '
                || (line.length() > 12 && line.charAt(12) != ' ')) {
            return -1;
        }
        int status = 0;
        for (int i = 9; i < 12; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            status = status * 10 + (c - '0');
        }
        return status;
    }

    private static String text(byte[] buf, int length) {
        return new String(buf, 0, length, StandardCharsets.ISO_8859_1);
    }

    /** What a peer sent, quoted and cut short, for a message. */
    static String excerpt(String s) {
        return Syntax.quote(printable(s));
    }

    /** A peer's text made safe for a log line: control characters replaced, at most 100 characters. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 103));
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c >= 0x7f ? '?' : c);
        }
        return s.length() > 100 ? sb.append("...").toString() : sb.toString();
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // A socket that never connected has nothing to flush.
        }
    }
}
