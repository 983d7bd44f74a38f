package io.palisade.server;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** The request id every request carries in {@code X-Request-Id}: the client's when it is a safe token, else ours. */
final class RequestIds {
    static final AsciiString HEADER = AsciiString.cached("x-request-id");
    static final int MAX_LENGTH = 128;
    private static final HexFormat HEX = HexFormat.of();

    private RequestIds() {}

    /** {@code [A-Za-z0-9._:-]{1,128}}: safe in logs, JSON and headers without escaping. */
    static boolean isValid(CharSequence id) {
        int n = id.length();
        if (n == 0 || n > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * 16 random hex digits: unique enough to find one request in the logs, and cheap (no lock, no SecureRandom; the
     * JDK builds the string on its digit bytes, without the char array and copy of {@code new String(char[])}).
     */
    static String generate() {
        return HEX.toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /**
     * The id of {@code request}: the client's when {@code keepClientIds} ({@code server.request_id: keep}) and it sent
     * exactly one valid id, else a fresh one, set on the request, so the proxy, the logs and error bodies share one id.
     */
    static String assign(HttpRequest request, boolean keepClientIds) {
        HttpHeaders headers = request.headers();
        if (keepClientIds) {
            String sent = headers.get(HEADER);
            if (sent != null && RequestHeaders.fieldsSent(headers, HEADER) == 1 && isValid(sent)) {
                return sent;
            }
        }
        String id = generate();
        headers.set(HEADER, id);
        return id;
    }
}
