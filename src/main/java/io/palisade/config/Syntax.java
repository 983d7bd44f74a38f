package io.palisade.config;

import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Collection;

/** The small lexical rules config values follow: names, HTTP tokens, paths, hosts. */
public final class Syntax {
    public static final String NAME_RULE = "a name of letters, digits, '_' and '-', starting with a letter or digit,"
            + " at most 64 characters";
    public static final String PATH_RULE = "a normalised path starting with /, without //, . or .. segments, spaces,"
            + " control characters, \\, ? or #";

    private Syntax() {}

    /**
     * Cluster, listener and route names: they appear in metric labels, log lines and config paths, so no dots
     * (which would make {@code clusters.a.b.timeouts} ambiguous) and no spaces.
     */
    public static boolean isName(String s) {
        if (s.isEmpty() || s.length() > 64 || !isAlnum(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isAlnum(c) && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** An RFC 9110 token: method and header names. */
    public static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isTchar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    public static boolean isTchar(char c) {
        return isAlnum(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    public static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** A header value a client can send: visible ASCII and inner spaces/tabs, no leading or trailing whitespace. */
    public static boolean isHeaderValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return s.isEmpty() || (!isBlank(s.charAt(0)) && !isBlank(s.charAt(s.length() - 1)));
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * A route path as requests look after {@code RouteTable.normalizePath}: anything else could never match. Percent
     * escapes stay as written (nothing is decoded), but {@code %2e} counts as a dot, as it does for most servers.
     */
    public static boolean isNormalisedPath(String p) {
        if (p.isEmpty() || p.charAt(0) != '/') {
            return false;
        }
        int segmentStart = 1;
        for (int i = 1; i <= p.length(); i++) {
            if (i == p.length() || p.charAt(i) == '/') {
                int len = i - segmentStart;
                if ((len == 0 && i < p.length()) || isDotSegment(p, segmentStart, i)) {
                    return false;
                }
                segmentStart = i + 1;
                continue;
            }
            char c = p.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\') {
                return false;
            }
            if (c == '%') {
                if (i + 2 >= p.length() || !isHex(p.charAt(i + 1)) || !isHex(p.charAt(i + 2))) {
                    return false;
                }
                int decoded = Character.digit(p.charAt(i + 1), 16) * 16 + Character.digit(p.charAt(i + 2), 16);
                if (decoded < 0x20 || decoded == 0x7f) {
                    return false;
                }
            }
        }
        return true;
    }

    /** {@code .} or {@code ..}, dots possibly written {@code %2e}, possibly followed by {@code ;params}. */
    private static boolean isDotSegment(String p, int from, int to) {
        int dots = 0;
        int i = from;
        while (i < to) {
            if (p.charAt(i) == '.') {
                i++;
            } else if (i + 3 <= to && p.regionMatches(true, i, "%2e", 0, 3)) {
                i += 3;
            } else {
                break;
            }
            dots++;
        }
        return (dots == 1 || dots == 2) && (i == to || p.charAt(i) == ';');
    }

    public static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /**
     * A host name to match the Host header against: DNS labels (letters, digits, '-', '_'), optionally starting with
     * {@code *.} for exactly one extra label; no port, no trailing dot.
     */
    public static boolean isHostPattern(String h) {
        String rest = h.startsWith("*.") ? h.substring(2) : h;
        if (rest.isEmpty() || rest.length() > 253) {
            return false;
        }
        for (String label : rest.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.charAt(0) == '-'
                    || label.charAt(label.length() - 1) == '-') {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!isAlnum(c) && c != '-' && c != '_') {
                    return false;
                }
            }
        }
        return true;
    }

    /** A string the way the YAML author wrote it, quoted, so an empty or space-padded value is visible. */
    public static String quote(String s) {
        return TextNode.valueOf(s).toString();
    }

    public static String list(Collection<String> names) {
        return names.isEmpty() ? "none defined" : String.join(", ", names);
    }

    /** Bytes the way a user writes them: 10MiB, 16KiB, 1000. */
    public static String formatSize(long bytes) {
        if (bytes > 0 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "GiB";
        }
        if (bytes > 0 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "MiB";
        }
        if (bytes > 0 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "KiB";
        }
        return Long.toString(bytes);
    }
}
