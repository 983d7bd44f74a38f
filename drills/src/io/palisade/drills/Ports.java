package io.palisade.drills;

import java.io.IOException;
import java.net.ServerSocket;

/** Free loopback ports for the gateway process (it needs fixed ports in its config file). */
final class Ports {
    private Ports() {}

    static int free() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
