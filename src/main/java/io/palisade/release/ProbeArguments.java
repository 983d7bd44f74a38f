package io.palisade.release;

import io.palisade.config.ConfigNode;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/** The {@link Probe} constructors' argument rules, in one place. */
final class ProbeArguments {
    private ProbeArguments() {}

    static void subject(String subject) {
        Objects.requireNonNull(subject, "subject");
    }

    static void host(String host) {
        if (Objects.requireNonNull(host, "host").isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
    }

    static void port(int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " (expected: 1..65535)");
        }
    }

    static void timeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        // The same ceiling the config applies, which also keeps deadlines in nanoseconds far from overflow.
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(ConfigNode.MAX_DURATION) > 0) {
            throw new IllegalArgumentException("timeout " + timeout + " (expected: > 0 and <= "
                    + ConfigNode.format(ConfigNode.MAX_DURATION) + ")");
        }
    }

    static void url(URI url) {
        Objects.requireNonNull(url, "url");
        String scheme = url.getScheme();
        if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || url.getHost() == null) {
            throw new IllegalArgumentException("url " + url + " (expected: an absolute http or https URL)");
        }
    }

    static void requestTarget(String path) {
        boolean ok = path.startsWith("/");
        for (int i = 0; ok && i < path.length(); i++) {
            char c = path.charAt(i);
            // Written into the request line as is: a space or line break would split or forge the request.
            ok = c > 0x20 && c < 0x7f;
        }
        if (!ok) {
            throw new IllegalArgumentException("health path " + path + " (expected: /, then visible ASCII)");
        }
    }
}
