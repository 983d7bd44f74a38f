package io.palisade.status;

/** Escaping for the HTML page and the Atom feed: every text that reaches them passes through here. */
final class Text {
    private Text() {}

    /**
     * Text safe in HTML element content and in quoted attribute values. Control characters other than tab and line
     * breaks are dropped: they have no business on a page and some are not allowed in XML at all.
     */
    static String html(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    if (allowed(s, i)) {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /** The same escaping serves XML 1.0 (Atom): only characters XML allows are kept. */
    static String xml(String s) {
        return html(s);
    }

    private static boolean allowed(String s, int i) {
        char c = s.charAt(i);
        if (c < 0x20) {
            return c == '\t' || c == '\n' || c == '\r';
        }
        if (c == 0xFFFE || c == 0xFFFF || (c >= 0x7F && c <= 0x9F)) {
            return false;
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        }
        return true;
    }
}
