package io.palisade.smuggling;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One raw-socket vector of {@code src/test/resources/smuggling/vectors.txt} (the file documents its format): the exact
 * bytes a client sends and what the gateway must make of them.
 */
record Vector(String name, byte[] raw, Expect expect, boolean fin) {
    /** The expected class; {@code status} 0 means any 4xx/5xx, {@code absent} holds lower-case header names. */
    record Expect(Kind kind, int status, String method, String target, byte[] body, Set<String> absent) {}

    enum Kind { REJECT, FORWARD, SILENT, ANY }

    static final String HOST = "Host: test\r\n";
    /** Larger than the suite's header limit (8 KiB) and URI limit; smaller than any sane socket buffer. */
    static final int BIG = 20 * 1024;
    static final int BIG_URI = 9 * 1024;

    @Override
    public String toString() {
        return name;
    }

    /** Whether the first response is to a HEAD (no body follows its head). */
    boolean isHead() {
        return raw.length > 5 && new String(raw, 0, 5, StandardCharsets.ISO_8859_1).equals("HEAD ");
    }

    static List<Vector> load() {
        try (InputStream in = Vector.class.getResourceAsStream("/smuggling/vectors.txt")) {
            if (in == null) {
                throw new IllegalStateException("smuggling/vectors.txt is not on the test class path");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Vector> parse(String text) {
        List<Vector> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int a = line.indexOf(" | ");
            int b = a < 0 ? -1 : line.indexOf(" | ", a + 3);
            if (b < 0) {
                throw new IllegalArgumentException("line " + lineNo + ": expected NAME | EXPECT | RAW: " + line);
            }
            String name = line.substring(0, a).strip();
            String expect = line.substring(a + 3, b).strip();
            byte[] raw = unescape(line.substring(b + 3));
            boolean fin = false;
            List<String> words = new ArrayList<>(List.of(expect.split(" +")));
            if (words.remove("fin")) {
                fin = true;
            }
            out.add(new Vector(name, raw, expectation(words, lineNo), fin));
        }
        return out;
    }

    private static Expect expectation(List<String> w, int lineNo) {
        String kind = w.isEmpty() ? "" : w.get(0);
        switch (kind) {
            case "reject" -> {
                return new Expect(Kind.REJECT, w.size() > 1 ? Integer.parseInt(w.get(1)) : 0, null, null, null,
                        Set.of());
            }
            case "silent" -> {
                return new Expect(Kind.SILENT, 0, null, null, null, Set.of());
            }
            case "any" -> {
                return new Expect(Kind.ANY, 0, null, null, null, Set.of());
            }
            case "forward" -> {
                if (w.size() < 3) {
                    throw new IllegalArgumentException("line " + lineNo + ": forward METHOD TARGET [body=] [absent=]");
                }
                byte[] body = new byte[0];
                Set<String> absent = Set.of();
                for (String extra : w.subList(3, w.size())) {
                    if (extra.startsWith("body=")) {
                        body = unescape(extra.substring(5));
                    } else if (extra.startsWith("absent=")) {
                        absent = Set.of(extra.substring(7).toLowerCase(Locale.ROOT).split(","));
                    } else {
                        throw new IllegalArgumentException("line " + lineNo + ": unknown " + extra);
                    }
                }
                return new Expect(Kind.FORWARD, 200, w.get(1), w.get(2), body, absent);
            }
            default -> throw new IllegalArgumentException("line " + lineNo + ": unknown expectation " + w);
        }
    }

    /** The file's escapes: \r \n \t \0 \\ \xHH, {H} for the Host line, {BIG} and {BIGURI} for oversized fillers. */
    static byte[] unescape(String s) {
        String expanded = s.replace("{H}", "Host: test\\r\\n").replace("{BIGURI}", "a".repeat(BIG_URI))
                .replace("{BIG}", "a".repeat(BIG));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < expanded.length(); i++) {
            char c = expanded.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char n = expanded.charAt(++i);
            switch (n) {
                case 'r' -> sb.append('\r');
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case '0' -> sb.append('\0');
                case '\\' -> sb.append('\\');
                case 'x' -> {
                    sb.append((char) HexFormat.fromHexDigits(expanded, i + 1, i + 3));
                    i += 2;
                }
                default -> throw new IllegalArgumentException("unknown escape \\" + n + " in " + s);
            }
        }
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The bytes as the file writes them, for reports. */
    static String escape(byte[] bytes, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bytes.length && sb.length() < max; i++) {
            int b = bytes[i] & 0xff;
            switch (b) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (b < 0x20 || b >= 0x7f) {
                        sb.append(String.format("\\x%02x", b));
                    } else {
                        sb.append((char) b);
                    }
                }
            }
        }
        return sb.length() >= max ? sb.substring(0, max) + "..." : sb.toString();
    }
}
