package io.palisade.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A minimal parser for the Content-Length-delimited responses these handlers write, for assertions. */
record ParsedResponse(int status, String reason, Map<String, String> headers, String body) {
    static List<ParsedResponse> parse(String raw) {
        List<ParsedResponse> out = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length()) {
            int headEnd = raw.indexOf("\r\n\r\n", pos);
            if (headEnd < 0) {
                throw new AssertionError("incomplete response head: " + raw.substring(pos));
            }
            String[] lines = raw.substring(pos, headEnd).split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
            int status = Integer.parseInt(statusLine[1]);
            int length = status < 200 ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
            int bodyStart = headEnd + 4;
            out.add(new ParsedResponse(status, statusLine.length > 2 ? statusLine[2] : "", headers,
                    raw.substring(bodyStart, Math.min(raw.length(), bodyStart + length))));
            pos = bodyStart + length;
        }
        return out;
    }

    /** The JSON body's {@code error} code, or null. */
    String error() {
        return jsonField("error");
    }

    String requestIdInBody() {
        return jsonField("request_id");
    }

    private String jsonField(String name) {
        String key = "\"" + name + "\":\"";
        int i = body.indexOf(key);
        if (i < 0) {
            return null;
        }
        int start = i + key.length();
        return body.substring(start, body.indexOf('"', start));
    }
}
