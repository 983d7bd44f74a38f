package io.palisade.drills;

import io.palisade.testing.FreePorts;

/** Free loopback ports for the gateway process (it needs fixed ports in its config file). */
final class Ports {
    private Ports() {}

    static int free() {
        return FreePorts.next();
    }
}
