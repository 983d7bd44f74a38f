package io.palisade.smuggling;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A deliberately strict RFC 9112 request parser for what an upstream receives: CRLF only, token methods and field
 * names, no control bytes, no obs-fold, exactly one Host, one framing (a single plain Content-Length, or
 * {@code Transfer-Encoding: chunked} alone with strict chunk lines). Whatever the gateway forwards must pass it; a
 * request only a lenient parser accepts is where two parsers start to disagree.
 */
final class StrictRequest {
    private static final String TCHAR = "!#$%&'*+.^_`|~0-9A-Za-z-";
    private static final Pattern REQUEST_LINE =
            Pattern.compile("([" + TCHAR + "]+) ([\\x21-\\x7e]+) HTTP/1\\.([01])");
    private static final Pattern FIELD = Pattern.compile("([" + TCHAR + "]+):[ \\t]*(.*?)[ \\t]*");
    private static final Pattern VALUE = Pattern.compile("[\\t\\x20-\\x7e\\x80-\\xff]*");
    private static final Pattern CHUNK_LINE = Pattern.compile(
            "([0-9A-Fa-f]{1,16})(;[" + TCHAR + "]+(=([" + TCHAR + "]+|\"([\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]"
                    + "|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*\"))?)*");
    private static final int MAX_HEAD = 64 * 1024;

    /** A field line as received. */
    record Field(String name, String value) {}

    /** One complete request. */
    record Parsed(String method, String target, int minorVersion, List<Field> fields, byte[] body, int length) {
        boolean has(String name) {
            return fields.stream().anyMatch(f -> f.name().equalsIgnoreCase(name));
        }

        /** The path and query of the target: an absolute-form target's, as the gateway may pass that form on. */
        String pathAndQuery() {
            int scheme = target.indexOf("://");
            if (scheme < 0 || target.startsWith("/")) {
                return target;
            }
            int slash = target.indexOf('/', scheme + 3);
            return slash < 0 ? "/" : target.substring(slash);
        }

        @Override
        public String toString() {
            return method + " " + target + " HTTP/1." + minorVersion + " " + fields + " body="
                    + Vector.escape(body, 80);
        }
    }

    /** The result of parsing bytes from their start. */
    sealed interface Result permits Complete, Incomplete, Malformed {}

    record Complete(Parsed request) implements Result {}

    record Incomplete() implements Result {}

    record Malformed(String why) implements Result {}

    private StrictRequest() {}

    static Result parse(byte[] bytes) {
        int headEnd = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (headEnd < 0) {
            String partial = new String(bytes, StandardCharsets.ISO_8859_1);
            if (bytes.length > MAX_HEAD) {
                return new Malformed("head longer than " + MAX_HEAD);
            }
            // A bare LF or CR already received can only make the head malformed.
            String lines = partial.endsWith("\r") ? partial.substring(0, partial.length() - 1) : partial;
            if (lines.replace("\r\n", "").indexOf('\n') >= 0 || lines.replace("\r\n", "").indexOf('\r') >= 0) {
                return new Malformed("bare CR or LF in the head");
            }
            return new Incomplete();
        }
        String head = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n", -1);
        for (String l : lines) {
            if (l.indexOf('\r') >= 0 || l.indexOf('\n') >= 0) {
                return new Malformed("bare CR or LF in the head");
            }
        }
        var rl = REQUEST_LINE.matcher(lines[0]);
        if (!rl.matches()) {
            return new Malformed("request line: " + Vector.escape(lines[0].getBytes(StandardCharsets.ISO_8859_1), 120));
        }
        List<Field> fields = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            Result bad = field(lines[i], fields);
            if (bad != null) {
                return bad;
            }
        }
        int minor = Integer.parseInt(rl.group(3));
        long hosts = fields.stream().filter(f -> f.name().equalsIgnoreCase("host")).count();
        if (hosts != 1 && !(minor == 0 && hosts == 0)) {
            return new Malformed(hosts + " Host fields");
        }
        List<Field> te = fields.stream().filter(f -> f.name().equalsIgnoreCase("transfer-encoding")).toList();
        List<Field> cl = fields.stream().filter(f -> f.name().equalsIgnoreCase("content-length")).toList();
        int bodyStart = headEnd + 4;
        if (!te.isEmpty()) {
            if (!cl.isEmpty()) {
                return new Malformed("Transfer-Encoding with Content-Length");
            }
            if (te.size() != 1 || !te.get(0).value().equalsIgnoreCase("chunked") || minor == 0) {
                return new Malformed("Transfer-Encoding other than one chunked on HTTP/1.1: " + te);
            }
            return chunked(bytes, bodyStart, rl.group(1), rl.group(2), minor, fields);
        }
        if (!cl.isEmpty()) {
            if (cl.size() != 1 || !cl.get(0).value().matches("[0-9]{1,12}")) {
                return new Malformed("Content-Length " + cl);
            }
            long n = Long.parseLong(cl.get(0).value());
            if (bytes.length - bodyStart < n) {
                return new Incomplete();
            }
            byte[] body = java.util.Arrays.copyOfRange(bytes, bodyStart, bodyStart + (int) n);
            return new Complete(new Parsed(rl.group(1), rl.group(2), minor, fields, body, bodyStart + (int) n));
        }
        return new Complete(new Parsed(rl.group(1), rl.group(2), minor, fields, new byte[0], bodyStart));
    }

    private static Result field(String line, List<Field> into) {
        if (line.isEmpty()) {
            return new Malformed("empty field line inside the head");
        }
        if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
            return new Malformed("obs-fold or leading whitespace: " + line);
        }
        var m = FIELD.matcher(line);
        if (!m.matches() || !VALUE.matcher(m.group(2)).matches()) {
            return new Malformed("field line: " + Vector.escape(line.getBytes(StandardCharsets.ISO_8859_1), 120));
        }
        into.add(new Field(m.group(1), m.group(2)));
        return null;
    }

    private static Result chunked(byte[] b, int at, String method, String target, int minor, List<Field> fields) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int pos = at;
        while (true) {
            int eol = indexOf(b, new byte[] {'\r', '\n'}, pos);
            if (eol < 0) {
                return lineSoFar(b, pos, 1024);
            }
            String line = new String(b, pos, eol - pos, StandardCharsets.ISO_8859_1);
            var m = CHUNK_LINE.matcher(line);
            if (!m.matches()) {
                return new Malformed("chunk line: " + Vector.escape(line.getBytes(StandardCharsets.ISO_8859_1), 120));
            }
            long size = Long.parseUnsignedLong(m.group(1), 16);
            pos = eol + 2;
            if (size == 0) {
                break;
            }
            if (size > Integer.MAX_VALUE || b.length - pos < size + 2) {
                return size > 64L * 1024 * 1024 ? new Malformed("chunk of " + size) : new Incomplete();
            }
            body.write(b, pos, (int) size);
            pos += (int) size;
            if (b[pos] != '\r' || b[pos + 1] != '\n') {
                return new Malformed("chunk data not followed by CRLF");
            }
            pos += 2;
        }
        // trailer section
        while (true) {
            int eol = indexOf(b, new byte[] {'\r', '\n'}, pos);
            if (eol < 0) {
                return lineSoFar(b, pos, 8192);
            }
            if (eol == pos) {
                pos += 2;
                break;
            }
            String line = new String(b, pos, eol - pos, StandardCharsets.ISO_8859_1);
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                return new Malformed("bare CR or LF in the trailer");
            }
            Result bad = field(line, new ArrayList<>());
            if (bad != null) {
                return bad;
            }
            pos = eol + 2;
        }
        return new Complete(new Parsed(method, target, minor, fields, body.toByteArray(), pos));
    }

    private static Result lineSoFar(byte[] b, int from, int max) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n' || (b[i] == '\r' && i + 1 < b.length)) {
                return new Malformed("bare CR or LF in the chunked body");
            }
        }
        return b.length - from > max ? new Malformed("line longer than " + max) : new Incomplete();
    }

    static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

}
