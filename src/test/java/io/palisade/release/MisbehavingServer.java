package io.palisade.release;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A TCP server on 127.0.0.1 that reads the first line of whatever it is sent, then answers the way broken servers do:
 * garbage, or a response head followed by a body trickled a byte every 100 ms, or bytes trickled with no line end at
 * all. The waits between bytes are the server's behaviour; the tests never wait on them.
 */
final class MisbehavingServer implements AutoCloseable {
    enum Mode {
        /** Answers a line that is neither HTTP nor RESP, then keeps the connection open. */
        GARBAGE,
        /** Trickles 'x' every 100 ms and never ends a line. */
        TRICKLE,
        /** A 200 response head for a 100,000-byte JSON body, then the body at a byte every 100 ms. */
        TRICKLE_BODY
    }

    private final ServerSocket socket;
    private final Mode mode;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "misbehaving-server-pacer");
        t.setDaemon(true);
        return t;
    });

    MisbehavingServer(Mode mode) {
        this.mode = mode;
        try {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofPlatform().daemon().name("misbehaving-server").start(this::acceptLoop);
    }

    int port() {
        return socket.getLocalPort();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                accepted.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try {
            readLine(s.getInputStream());
            OutputStream out = s.getOutputStream();
            switch (mode) {
                case GARBAGE -> write(out, "SSH-2.0-OpenSSH_9.6 \u0001\r\n");
                case TRICKLE -> trickle(s, out);
                case TRICKLE_BODY -> {
                    write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
                    trickle(s, out);
                }
            }
        } catch (IOException e) {
            // The client gave up: that is what the tests expect of it.
        }
    }

    private void trickle(Socket s, OutputStream out) {
        pacer.scheduleWithFixedDelay(() -> {
            try {
                if (!s.isClosed()) {
                    out.write(mode == Mode.TRICKLE_BODY ? ' ' : 'x');
                    out.flush();
                }
            } catch (IOException e) {
                closeQuietly(s);
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
    }

    private static void readLine(InputStream in) throws IOException {
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            // The request line is all this server looks at.
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Already gone.
        }
    }

    @Override
    public void close() {
        pacer.shutdownNow();
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
        accepted.forEach(MisbehavingServer::closeQuietly);
    }
}
