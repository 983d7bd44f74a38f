package io.palisade.config;

import java.util.Locale;
import java.util.Optional;

/**
 * Reads {@code host:port} and {@code [v6]:port}. Nothing is resolved here: a name that does not resolve is a runtime
 * condition (DNS may come back), not a config error.
 */
public final class AddressReader {
    public static final String FORMAT = "host:port or [v6]:port";

    private AddressReader() {}

    /** Reports "missing" when absent. */
    public static Optional<Address> required(ConfigNode node, int minPort) {
        if (!node.isPresent()) {
            node.error("missing (expected: " + FORMAT + ")");
            return Optional.empty();
        }
        return read(node, minPort);
    }

    public static Optional<Address> read(ConfigNode node, int minPort) {
        if (!node.isPresent()) {
            return Optional.empty();
        }
        if (!node.raw().isValueNode()) {
            node.invalid(FORMAT);
            return Optional.empty();
        }
        String text = node.raw().asText();
        Optional<Address> parsed = parse(text);
        if (parsed.isEmpty()) {
            node.invalid(FORMAT);
            return Optional.empty();
        }
        int port = parsed.get().port();
        if (port < minPort || port > 65535) {
            node.invalid("a port between " + minPort + " and 65535");
            return Optional.empty();
        }
        return parsed;
    }

    /** The address with any port number 0..99999; the caller checks the range so the message can name it. */
    public static Optional<Address> parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                return Optional.empty();
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
            if (!isIpv6(host)) {
                return Optional.empty();
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                return Optional.empty();
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (!isHostName(host)) {
                return Optional.empty();
            }
        }
        if (port.isEmpty() || port.length() > 5) {
            return Optional.empty();
        }
        for (int i = 0; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return Optional.empty();
            }
        }
        return Optional.of(new Address(host.toLowerCase(Locale.ROOT), Integer.parseInt(port)));
    }

    /** A DNS name or IPv4 literal; a bare IPv6 literal (colons without brackets) is ambiguous and refused. */
    private static boolean isHostName(String host) {
        if (host.length() > 253 || host.startsWith(".") || host.startsWith("-") || host.endsWith(".")
                || host.contains("..")) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!Syntax.isAlnum(c) && c != '.' && c != '-' && c != '_') {
                return false;
            }
        }
        return true;
    }

    private static boolean isIpv6(String host) {
        if (host.indexOf(':') < 0) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!Syntax.isHex(c) && c != ':' && c != '.') {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether two binds would collide: same port and same host, or a wildcard covering the other (the IPv6 wildcard
     * is dual-stack, so it covers IPv4 too). Port 0 asks the OS for a free port, so it never collides.
     */
    public static boolean collides(Address a, Address b) {
        if (a.port() == 0 || a.port() != b.port()) {
            return false;
        }
        return a.host().equals(b.host()) || covers(a.host(), b.host()) || covers(b.host(), a.host());
    }

    private static boolean covers(String wildcard, String other) {
        if (wildcard.equals("::") || wildcard.equals("0:0:0:0:0:0:0:0")) {
            return true;
        }
        return wildcard.equals("0.0.0.0") && other.indexOf(':') < 0;
    }
}
