package io.palisade.auth;

import java.util.regex.Pattern;

/** Shapes of the names and values that end up in upstream headers, checked once where they enter. */
final class Names {
    /** Consumer ids, provider names: they become header values and metric labels. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
    /** Group names written in config; no comma, since X-Consumer-Groups is comma-joined. */
    static final Pattern GROUP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,127}");
    /** An HTTP header name (RFC 9110 token). */
    static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}");
    /** A query parameter name we look credentials up by. */
    static final Pattern QUERY_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** An OAuth scope token (RFC 6749 §3.3). */
    static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");

    private Names() {}

    /**
     * Whether a value that came from a token or an auth service may be written into a header as an identity or a
     * group: visible ASCII only, so it cannot split a header or a comma-joined list.
     */
    static boolean isPrintableToken(String s, int maxLength) {
        if (s.isEmpty() || s.length() > maxLength) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == ',') {
                return false;
            }
        }
        return true;
    }

    /** Whether a header value is safe to forward: no CR, LF, NUL or other controls except tab. */
    static boolean isSafeHeaderValue(String s, int maxLength) {
        if (s.length() > maxLength) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
