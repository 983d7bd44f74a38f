package io.palisade.release;

import io.palisade.config.Address;
import io.palisade.config.ConfigNode;
import io.palisade.time.Ticker;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One probe running on a virtual thread of its own against one deadline. Each blocking step waits at most until the
 * deadline and fails with a reason naming the step; {@link #await} is the backstop for the waits that cannot be
 * bounded from inside (a JDK DNS lookup, a trickled HTTP body): at the deadline it reports the step in progress,
 * closes the step's sockets and streams and interrupts the thread.
 */
final class ProbeAttempt {
    /** Which step a probe failed in and why; stackless, since the reason is the whole story. */
    static final class Failed extends Exception {
        Failed(String reason) {
            super(reason, null, false, false);
        }

        String reason() {
            return getMessage();
        }
    }

    private final Probe probe;
    private final long deadline;
    private final Ticker ticker;
    private final HttpChecks.Client http;
    private final CompletableFuture<Optional<String>> outcome = new CompletableFuture<>();
    private final Queue<AutoCloseable> held = new ConcurrentLinkedQueue<>();
    // What to report if the deadline passes now: set before each step that waits.
    private volatile String stalled;
    private volatile Thread thread;

    ProbeAttempt(Probe probe, long startNanos, Ticker ticker, HttpChecks.Client http) {
        this.probe = probe;
        this.deadline = startNanos + timeout(probe).toNanos();
        this.ticker = ticker;
        this.http = http;
        this.stalled = "not started within " + ConfigNode.format(timeout(probe)) + " (no thread free to run it)";
    }

    Probe probe() {
        return probe;
    }

    static Duration timeout(Probe probe) {
        return switch (probe) {
            case Probe.Endpoint e -> e.timeout();
            case Probe.Http h -> h.timeout();
            case Probe.Jwks j -> j.timeout();
            case Probe.Redis r -> r.timeout();
        };
    }

    /** The address as configured, or the URL without its user info (which may hold a password). */
    static String target(Probe probe) {
        return switch (probe) {
            case Probe.Endpoint e -> new Address(e.host(), e.port()).toString();
            case Probe.Http h -> withoutUserInfo(h.url());
            case Probe.Jwks j -> withoutUserInfo(j.url());
            case Probe.Redis r -> new Address(r.host(), r.port()).toString();
        };
    }

    private static String withoutUserInfo(URI url) {
        if (url.getRawUserInfo() == null) {
            return url.toString();
        }
        String s = url.toString();
        int at = s.indexOf(url.getRawUserInfo() + "@");
        return s.substring(0, at) + s.substring(at + url.getRawUserInfo().length() + 1);
    }

    void start() {
        thread = Thread.ofVirtual().name("palisade-preflight " + probe.subject()).start(this::run);
    }

    /**
     * Waits for the result until the deadline plus {@code slackNanos}, then gives up on the probe; empty when it
     * passed, else why not.
     */
    Optional<String> await(long slackNanos) {
        try {
            return outcome.get(Math.max(0, deadline + slackNanos - ticker.read()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon(stalled);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon("not finished: the preflight was interrupted");
        } catch (ExecutionException e) {
            abandon("probe failed: " + e.getCause());
        }
        return outcome.join();
    }

    private void abandon(String reason) {
        outcome.complete(Optional.of(reason));
        release();
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    private void run() {
        Optional<String> result;
        try {
            switch (probe) {
                case Probe.Endpoint e -> new SocketChecks(this).endpoint(e);
                case Probe.Redis r -> new SocketChecks(this).redis(r);
                case Probe.Http h -> new HttpChecks(this, http).http(h);
                case Probe.Jwks j -> new HttpChecks(this, http).jwks(j);
            }
            result = Optional.empty();
        } catch (Failed f) {
            result = Optional.of(f.reason());
        } catch (InterruptedException e) {
            result = Optional.of(stalled);
        } catch (RuntimeException e) {
            // A bug here must not pass the probe nor escape into the release thread.
            result = Optional.of("probe failed: " + e);
        } finally {
            release();
        }
        outcome.complete(result);
    }

    /** Sets what a timeout during the next step reports. */
    void step(String ifStalled) {
        stalled = ifStalled;
    }

    String stalled() {
        return stalled;
    }

    /** The failure to report if the deadline passes during the current step. */
    Failed expired() {
        return new Failed(stalled);
    }

    /**
     * The failure for an I/O error: past the deadline, the error is most likely the abandon closing the socket, and
     * the step's timeout is what happened.
     */
    Failed ioFailure(String reason) {
        return deadline - ticker.read() <= 0 ? expired() : new Failed(reason);
    }

    /** Nanoseconds left before the deadline; fails with the current step's reason when none are. */
    long nanosLeft() throws Failed {
        long left = deadline - ticker.read();
        if (left <= 0) {
            throw expired();
        }
        return left;
    }

    /** Like {@link #nanosLeft()}, in whole milliseconds rounded up: 0 would mean "no timeout" to a socket. */
    int millisLeft() throws Failed {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, (nanosLeft() + 999_999) / 1_000_000));
    }

    String timeoutText() {
        return ConfigNode.format(timeout(probe));
    }

    /** Closes {@code resource} when the attempt ends or is abandoned, whichever comes first. */
    <T extends AutoCloseable> T hold(T resource) {
        held.add(resource);
        if (outcome.isDone()) {
            release();
        }
        return resource;
    }

    private void release() {
        AutoCloseable c;
        while ((c = held.poll()) != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Closing is how a step is cut short; what the step was doing no longer matters.
            }
        }
    }
}
