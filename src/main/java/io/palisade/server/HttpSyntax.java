package io.palisade.server;

import io.netty.handler.codec.http.HttpMethod;
import java.util.List;

/** Grammar checks the decoder leaves out (RFC 9112 §3.2, RFC 3986 §3.2.2), kept small and allocation-free. */
final class HttpSyntax {
    private HttpSyntax() {}

    /**
     * A request target in one of the forms RFC 9112 §3.2 allows for {@code method}: origin-form ({@code /path?q}),
     * absolute-form with an {@code http} or {@code https} scheme and a host (passed on as is: the proxy resolves it),
     * asterisk-form for {@code OPTIONS} only, authority-form for {@code CONNECT} only. Only visible ASCII: no control
     * bytes, spaces or raw non-ASCII (which must be percent-encoded).
     */
    static boolean isValidTarget(HttpMethod method, String target) {
        int n = target.length();
        if (n == 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        char first = target.charAt(0);
        if (first == '/') {
            return true;
        }
        if (HttpMethod.CONNECT.equals(method)) {
            return true;
        }
        if (n == 1 && first == '*') {
            return HttpMethod.OPTIONS.equals(method);
        }
        int authority = schemeEnd(target);
        return authority > 0 && authority < n && target.charAt(authority) != '/';
    }

    /** The index after {@code http://} or {@code https://} (any case), or -1. */
    private static int schemeEnd(String target) {
        if (target.regionMatches(true, 0, "http://", 0, 7)) {
            return 7;
        }
        if (target.regionMatches(true, 0, "https://", 0, 8)) {
            return 8;
        }
        return -1;
    }

    /**
     * {@code Host = uri-host [ ":" port ]}: a reg-name (unreserved, sub-delims, percent-encoded octets), an IPv4
     * address (a reg-name lexically) or a bracketed IP literal, then an optional port of up to 5 digits. Empty is
     * valid (RFC 9110 §7.2: a target without an authority).
     */
    static boolean isValidHost(String host) {
        int n = host.length();
        int i = 0;
        if (n > 0 && host.charAt(0) == '[') {
            int close = host.indexOf(']');
            if (close < 2) {
                return false;
            }
            for (i = 1; i < close; i++) {
                char c = host.charAt(i);
                if (!(isUnreserved(c) || isSubDelim(c) || c == ':')) {
                    return false;
                }
            }
            i = close + 1;
        } else {
            while (i < n && host.charAt(i) != ':') {
                char c = host.charAt(i);
                if (c == '%') {
                    if (i + 2 >= n || !isHex(host.charAt(i + 1)) || !isHex(host.charAt(i + 2))) {
                        return false;
                    }
                    i += 3;
                    continue;
                }
                if (!(isUnreserved(c) || isSubDelim(c))) {
                    return false;
                }
                i++;
            }
        }
        if (i == n) {
            return true;
        }
        if (host.charAt(i) != ':' || n - i - 1 > 5) {
            return false;
        }
        for (int j = i + 1; j < n; j++) {
            char c = host.charAt(j);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** Whether the comma-separated elements of all {@code fields} are exactly one, equal to {@code token}. */
    static boolean isExactly(List<String> fields, String token) {
        int count = 0;
        boolean match = false;
        for (String field : fields) {
            int start = 0;
            while (start <= field.length()) {
                int comma = field.indexOf(',', start);
                int end = comma < 0 ? field.length() : comma;
                int s = start;
                int e = end;
                while (s < e && isOws(field.charAt(s))) {
                    s++;
                }
                while (e > s && isOws(field.charAt(e - 1))) {
                    e--;
                }
                if (e > s) {
                    count++;
                    match = e - s == token.length() && field.regionMatches(true, s, token, 0, token.length());
                }
                start = end + 1;
            }
        }
        return count == 1 && match;
    }

    /** Whether the last non-empty element of the comma-separated {@code fields} is {@code token}, ignoring case. */
    static boolean lastElementIs(List<String> fields, String token) {
        for (int i = fields.size() - 1; i >= 0; i--) {
            String field = fields.get(i);
            int e = field.length();
            while (e > 0) {
                int comma = field.lastIndexOf(',', e - 1);
                String element = field.substring(comma + 1, e).strip();
                if (!element.isEmpty()) {
                    return element.equalsIgnoreCase(token);
                }
                e = comma < 0 ? 0 : comma;
            }
        }
        return false;
    }

    private static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    private static boolean isSubDelim(char c) {
        return switch (c) {
            case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=' -> true;
            default -> false;
        };
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
