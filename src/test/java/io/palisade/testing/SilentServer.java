package io.palisade.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Accepts TCP connections and never reads or writes: the "hung dependency" of seeds 002 and 004, which only deadlines
 * can protect against.
 */
public final class SilentServer implements AutoCloseable {
    private final ServerSocket socket;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public SilentServer() throws IOException {
        this(0);
    }

    public SilentServer(int port) throws IOException {
        socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    accepted.add(socket.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    /** An http URL on this server, for clients that should hang. */
    public String url(String path) {
        return "http://" + address() + path;
    }

    public int acceptedCount() {
        return accepted.size();
    }

    /**
     * Stops listening and resets the connections it accepted (SO_LINGER 0: RST, not FIN). A server that closes first
     * leaves its side in TIME_WAIT on this port for a minute, and a server bound here again without SO_REUSEADDR (the
     * JDK's HttpServer) is refused; a dependency that dies resets its connections anyway.
     */
    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : accepted) {
            try {
                s.setSoLinger(true, 0);
            } catch (IOException e) {
                // already closed by the peer: nothing lingers
            }
            s.close();
        }
    }
}
