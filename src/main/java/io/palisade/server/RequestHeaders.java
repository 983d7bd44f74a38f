package io.palisade.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import java.util.Iterator;

/**
 * The headers of a decoded request, with Netty's name and value validation, that also refuse a second or a malformed
 * {@code Content-Length} while the decoder is filling them.
 *
 * <p>Why here: Netty checks {@code Content-Length} only after all headers are read, and differently per version. On
 * HTTP/1.1 it fails duplicates with a generic {@link IllegalArgumentException} (indistinguishable from a bad header
 * character); on HTTP/1.0 it silently keeps the first of several values and merges them into one header, so nobody
 * after the decoder can tell that the request was ambiguous. Failing in {@link #add} turns both into a failed
 * {@code DecoderResult} carrying {@code GatewayException.of(AMBIGUOUS_FRAMING)}.
 *
 * <p>After the decoder has emitted the request it calls {@link #seal()}, so later code that edits the headers (the
 * proxy) gets plain {@link DefaultHttpHeaders} behaviour (as {@link LeanHttpHeaders}: no allocation to ask about an
 * absent header).
 */
final class RequestHeaders extends LeanHttpHeaders {
    static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new RequestHeaders();
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new RequestHeaders();
        }
    };

    /** 19 digits can exceed {@link Long#MAX_VALUE}; no body limit comes near 18. */
    private static final int MAX_LENGTH_DIGITS = 18;

    private boolean sealed;
    /** Host and X-Request-Id fields the decoder added, up to 2: what the validator needs to see a duplicate. */
    private byte hostFields;
    private byte requestIdFields;
    /** The validator's framing decision for the request these headers belong to; null until it made one. */
    private RequestFraming framing;

    private RequestHeaders() {}

    void seal() {
        sealed = true;
    }

    RequestFraming framing() {
        return framing;
    }

    void framing(RequestFraming decided) {
        framing = decided;
    }

    /**
     * How many fields named {@code name} the client sent: 0, 1, or 2 for two or more. Counted while decoding for
     * {@code Host} and {@code X-Request-Id}, which every request is checked for, so no iterator is needed; counted
     * by iterating for other names and for headers that did not come from the decoder.
     */
    static int fieldsSent(HttpHeaders headers, AsciiString name) {
        if (headers instanceof RequestHeaders decoded) {
            if (name == HttpHeaderNames.HOST) {
                return decoded.hostFields;
            }
            if (name == RequestIds.HEADER) {
                return decoded.requestIdFields;
            }
        }
        Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(name);
        int n = 0;
        while (n < 2 && values.hasNext()) {
            values.next();
            n++;
        }
        return n;
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        check(name, value);
        return super.add(name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        check(name, value);
        return super.add(name, value);
    }

    private void check(CharSequence name, Object value) {
        if (sealed) {
            return;
        }
        if (HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
            hostFields = (byte) Math.min(2, hostFields + 1);
            return;
        }
        if (RequestIds.HEADER.contentEqualsIgnoreCase(name)) {
            requestIdFields = (byte) Math.min(2, requestIdFields + 1);
            return;
        }
        if (!HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
            return;
        }
        if (contains(HttpHeaderNames.CONTENT_LENGTH)) {
            throw GatewayException.of(ErrorKind.AMBIGUOUS_FRAMING);
        }
        String v = String.valueOf(value).strip();
        if (v.isEmpty()) {
            throw GatewayException.of(ErrorKind.AMBIGUOUS_FRAMING);
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                throw GatewayException.of(ErrorKind.AMBIGUOUS_FRAMING);
            }
        }
        // A well-formed length too large to represent is a body too large, not an ambiguous one.
        if (significantDigits(v) > MAX_LENGTH_DIGITS) {
            throw GatewayException.of(ErrorKind.BODY_TOO_LARGE);
        }
    }

    private static int significantDigits(String digits) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        return digits.length() - i;
    }
}
