package io.palisade.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for servers that must listen on a number known in advance (a gateway process's config file, an upstream that
 * is stopped and started again on the same port). They come from below Linux's ephemeral range (32768–60999 by
 * default): a port the kernel handed out by {@code bind(0)} may be given again to any outgoing connection's local end
 * once it is released, so a drill that closed a server and bound its port again lost the race about one run in four.
 * Ports below the range are only ever taken by someone who asks for them by number. A cursor walks the range so one JVM
 * never hands out the same port twice; test JVMs that run side by side (Surefire's and Failsafe's forks, numbered in
 * {@code palisade.test.fork}) each walk a slice of their own, so two forks never pick the same port between one's
 * check and its bind.
 */
public final class FreePorts {
    private static final int RANGE_LOW = 20_000;
    private static final int RANGE_HIGH = 32_000;
    /** Slices for up to this many forks at once; more forks share slices modulo this. */
    private static final int SLICES = 4;
    private static final int SLICE = (RANGE_HIGH - RANGE_LOW) / SLICES;
    private static final int LOW = RANGE_LOW + SLICE * slice();
    private static final int HIGH = LOW + SLICE;
    private static final AtomicInteger CURSOR =
            new AtomicInteger(ThreadLocalRandom.current().nextInt(HIGH - LOW));

    private FreePorts() {}

    private static int slice() {
        String fork = System.getProperty("palisade.test.fork", "");
        try {
            return Math.floorMod(Integer.parseInt(fork.trim()) - 1, SLICES);
        } catch (NumberFormatException notForked) {
            return 0;
        }
    }

    /** A loopback port nothing listens on now and that no outgoing connection will be given. */
    public static int next() {
        for (int tries = 0; tries < HIGH - LOW; tries++) {
            int port = LOW + Math.floorMod(CURSOR.getAndIncrement(), HIGH - LOW);
            if (bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + LOW + "-" + HIGH);
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
