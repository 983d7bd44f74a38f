package io.palisade.server;

import io.palisade.error.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The table of bad (and borderline good) raw requests with the exact answer each must get, independent of what
 * serves them: {@link BadInputClient} sends one over a socket to any host and port. Oversized inputs are sized from
 * the target's {@link ServerLimits}, so the same table runs against {@link ProtocolTestServer} or the whole gateway.
 *
 * <p>Against the whole gateway: cases with {@link Case#reachesProxy()} get whatever the route answers (the fixture
 * answers 200); cases with {@link Delivery#SEND} and no response wait for the silent idle close, so up to
 * {@code clientIdle}; the slow-loris case dribbles for at least twice {@code headerReadTimeout}.
 */
final class BadInputs {
    /** How a case's bytes go out. */
    enum Delivery {
        /** Connect, then close without sending anything. */
        CONNECT_AND_CLOSE,
        /** Send everything at once and keep the connection open. */
        SEND,
        /** Send everything, then shut down the output (the client's FIN). */
        SEND_THEN_HALF_CLOSE,
        /** One byte every {@link #DRIBBLE_INTERVAL_MILLIS}, never completing the head. */
        DRIBBLE
    }

    static final long DRIBBLE_INTERVAL_MILLIS = 50;
    static final String HOST = "Host: test\r\n";

    /**
     * @param status       the exact status expected, or 0 when no response at all is expected
     * @param error        the JSON body's {@code error}, or null when the request reaches the proxy or gets nothing
     * @param closes       whether the server closes the connection after answering (or without answering)
     * @param reachesProxy a request the protocol layer accepts: the route decides its answer
     */
    record Case(String name, byte[] bytes, Delivery delivery, int status, String error, boolean closes,
                boolean reachesProxy) {
        static Case rejected(String name, String raw, ErrorKind kind) {
            return rejected(name, raw, Delivery.SEND, kind);
        }

        static Case rejected(String name, String raw, Delivery delivery, ErrorKind kind) {
            return new Case(name, latin1(raw), delivery, kind.status().code(), kind.code(), kind.closesConnection(),
                    false);
        }

        static Case passes(String name, String raw, boolean closes) {
            return new Case(name, latin1(raw), Delivery.SEND, 200, null, closes, true);
        }

        static Case silent(String name, String raw, Delivery delivery) {
            return new Case(name, latin1(raw), delivery, 0, null, true, false);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private BadInputs() {}

    /** The table sized for {@link ProtocolTestServer#LIMITS}. */
    static List<Case> cases() {
        return cases(ProtocolTestServer.LIMITS);
    }

    static List<Case> cases(ServerLimits limits) {
        int bigHeader = (int) Math.max(20 * 1024, limits.maxHeaderBytes() + 1024);
        int bigUri = (int) Math.max(9 * 1024, limits.maxUriBytes() + 1024);
        int overMax = (int) limits.maxBody() + 1;
        long dribbleBytes = Math.min(limits.maxHeaderBytes() / 2,
                2 * limits.headerReadTimeout().toMillis() / DRIBBLE_INTERVAL_MILLIS + 20);
        String chunked = "POST /up HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n";

        List<Case> c = new ArrayList<>();
        c.add(Case.silent("connect and close without a byte", "", Delivery.CONNECT_AND_CLOSE));
        c.add(Case.silent("only empty lines, then EOF", "\r\n\r\n", Delivery.SEND_THEN_HALF_CLOSE));
        c.add(Case.silent("only empty lines, then silence until the idle close", "\r\n\r\n", Delivery.SEND));
        c.add(Case.silent("request line cut short, then EOF", "GET / HT", Delivery.SEND_THEN_HALF_CLOSE));
        c.add(Case.silent("body shorter than Content-Length, then EOF",
                "POST /up HTTP/1.1\r\n" + HOST + "Content-Length: 10\r\n\r\nabc", Delivery.SEND_THEN_HALF_CLOSE));

        c.add(Case.passes("zero-length POST with Content-Length: 0",
                "POST /empty HTTP/1.1\r\n" + HOST + "Content-Length: 0\r\n\r\n", false));
        c.add(Case.passes("absolute-form target", "GET http://test/abs?q=1 HTTP/1.1\r\n" + HOST + "\r\n", false));
        c.add(Case.passes("empty lines before a request", "\r\n\r\nGET / HTTP/1.1\r\n" + HOST + "\r\n", false));
        c.add(Case.passes("HTTP/1.0 without Host (closed after the response)", "GET / HTTP/1.0\r\n\r\n", true));

        c.add(Case.rejected("truncated version", "GET / HTT\r\n" + HOST + "\r\n", ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected("garbage bytes", "\u00ff\u00fe\u00fd\u0001garbage\r\n\r\n", ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected("HTTP/0.9 request", "GET /\r\n", ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected("unsupported version", "GET / HTTP/2.0\r\n" + HOST + "\r\n", ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected("bare LF line ends", "GET / HTTP/1.1\nHost: test\n\n", ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected("NUL in a header value", "GET / HTTP/1.1\r\n" + HOST + "X-A: a\u0000b\r\n\r\n",
                ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected("space before the colon", "GET / HTTP/1.1\r\nHost : test\r\n\r\n",
                ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected("control byte in the target", "GET /a\u0001b HTTP/1.1\r\n" + HOST + "\r\n",
                ErrorKind.MALFORMED_REQUEST));
        c.add(Case.rejected((bigHeader / 1024) + " KiB header", "GET / HTTP/1.1\r\n" + HOST + "X-Big: "
                + "a".repeat(bigHeader) + "\r\n\r\n", ErrorKind.HEADERS_TOO_LARGE));
        c.add(Case.rejected((bigUri / 1024) + " KiB URI", "GET /" + "a".repeat(bigUri) + " HTTP/1.1\r\n" + HOST
                + "\r\n", ErrorKind.URI_TOO_LONG));
        c.add(Case.rejected("Transfer-Encoding with Content-Length", "POST /up HTTP/1.1\r\n" + HOST
                + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", ErrorKind.AMBIGUOUS_FRAMING));
        c.add(Case.rejected("two different Content-Lengths", "POST /up HTTP/1.1\r\n" + HOST
                + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", ErrorKind.AMBIGUOUS_FRAMING));
        c.add(Case.rejected("two equal Content-Lengths", "POST /up HTTP/1.1\r\n" + HOST
                + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", ErrorKind.AMBIGUOUS_FRAMING));
        c.add(Case.rejected("two Content-Lengths on HTTP/1.0", "POST /up HTTP/1.0\r\n"
                + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", ErrorKind.AMBIGUOUS_FRAMING));
        c.add(Case.rejected("Content-Length: -1", "POST /up HTTP/1.1\r\n" + HOST + "Content-Length: -1\r\n\r\n",
                ErrorKind.AMBIGUOUS_FRAMING));
        c.add(Case.rejected("Content-Length: abc", "POST /up HTTP/1.1\r\n" + HOST + "Content-Length: abc\r\n\r\n",
                ErrorKind.AMBIGUOUS_FRAMING));
        c.add(Case.rejected("Transfer-Encoding: gzip", "POST /up HTTP/1.1\r\n" + HOST
                + "Transfer-Encoding: gzip\r\n\r\n", ErrorKind.AMBIGUOUS_FRAMING));
        c.add(Case.rejected("Transfer-Encoding: gzip, chunked", "POST /up HTTP/1.1\r\n" + HOST
                + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", ErrorKind.UNSUPPORTED_TRANSFER_CODING));
        c.add(Case.rejected("bad chunk size zz", chunked + "zz\r\nabc\r\n0\r\n\r\n", ErrorKind.INVALID_CHUNK));
        c.add(Case.rejected("chunk size overflow", chunked + "ffffffffffffffffff\r\nabc\r\n", ErrorKind.INVALID_CHUNK));
        c.add(Case.rejected("chunk size that Netty wraps to 0 (smuggling)", chunked + "100000000\r\n\r\nGET /smuggled "
                + "HTTP/1.1\r\n" + HOST + "\r\n", ErrorKind.INVALID_CHUNK));
        c.add(Case.rejected("chunk data without its CRLF", chunked + "3\r\nabcdef\r\n0\r\n\r\n",
                ErrorKind.INVALID_CHUNK));
        c.add(Case.rejected("obs-fold", "GET / HTTP/1.1\r\n" + HOST + "X-A: one\r\n two\r\n\r\n",
                ErrorKind.OBSOLETE_LINE_FOLDING));
        c.add(Case.rejected("missing Host", "GET / HTTP/1.1\r\n\r\n", ErrorKind.MISSING_HOST));
        c.add(Case.rejected("two Hosts", "GET / HTTP/1.1\r\n" + HOST + HOST + "\r\n", ErrorKind.INVALID_HOST));
        c.add(Case.rejected("invalid Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", ErrorKind.INVALID_HOST));
        c.add(Case.rejected("Expect: foo", "GET / HTTP/1.1\r\n" + HOST + "Expect: foo\r\n\r\n",
                ErrorKind.EXPECTATION_FAILED));
        c.add(Case.rejected("Content-Length over max_body", "POST /up HTTP/1.1\r\n" + HOST + "Content-Length: "
                + overMax + "\r\n\r\n", ErrorKind.BODY_TOO_LARGE));
        c.add(Case.rejected("chunked body over max_body", chunked + Integer.toHexString(overMax) + "\r\n"
                + "a".repeat(overMax) + "\r\n0\r\n\r\n", ErrorKind.BODY_TOO_LARGE));
        c.add(Case.rejected("slow-loris headers", "GET /slow HTTP/1.1\r\n" + HOST + "X-Slow: "
                + "a".repeat((int) dribbleBytes), Delivery.DRIBBLE, ErrorKind.HEADER_READ_TIMEOUT));
        c.add(Case.rejected("CONNECT (the gateway does not tunnel)", "CONNECT test:443 HTTP/1.1\r\nHost: test:443\r\n"
                + "\r\n", ErrorKind.METHOD_NOT_ALLOWED));
        return c;
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
