package io.palisade.server;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.palisade.error.ErrorKind;

/**
 * A shadow of the framing that Netty's request decoder applies, run over the same bytes just before the decoder sees
 * them, to catch the inputs that decoder accepts silently (see {@link RequestDecoder} for the list):
 *
 * <ul>
 *   <li>obsolete line folding: a line of a request head (or of a chunked trailer section) that starts with SP or HT;
 *       Netty appends it to the previous header value, other parsers treat it differently;</li>
 *   <li>a chunk size above {@link Integer#MAX_VALUE}: Netty's parser wraps some of those around (a size of
 *       {@code 100000000} hex is read as 0), which ends the body early and lets the remaining bytes be parsed as a
 *       new request.</li>
 * </ul>
 *
 * <p>The scanner never decides where a message ends: the decoder tells it, through {@link #expectHead()},
 * {@link #expectChunkedBody()} and {@link #stop()}, when the decoder itself emitted a request head or a message end,
 * so the two parsers cannot drift apart. Between those calls the scanner stops at the end of what it is told to look
 * at (the blank line after a head, the blank line after the trailers), so it never reads a fixed-length body or the
 * next request early. When it meets input that Netty rejects by itself (a bad chunk delimiter, a non-hex size) it
 * stops and leaves the error to Netty.
 *
 * <p>Bytes are read once: the caller passes only bytes it has not scanned before. Not thread-safe; one per channel.
 */
final class FramingScanner implements ByteProcessor {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte SP = ' ';
    private static final byte HT = '\t';

    private enum State {
        /** Nothing to scan until the decoder says what comes next. */
        OFF,
        /** Leading control characters and whitespace before a request line; Netty skips them too. */
        HEAD_PREFIX,
        REQUEST_LINE,
        HEAD_LINE_START,
        HEAD_LINE,
        HEAD_BLANK_CR,
        CHUNK_SIZE_LEADING_SPACE,
        CHUNK_SIZE_DIGITS,
        CHUNK_SIZE_REST,
        CHUNK_DATA,
        CHUNK_DATA_CR,
        CHUNK_DATA_LF,
        TRAILER_LINE_START,
        TRAILER_LINE,
        TRAILER_BLANK_CR
    }

    private State state = State.HEAD_PREFIX;
    private long chunkSize;
    private long chunkRemaining;
    private boolean headStarted;
    private ErrorKind violation;

    /** The next bytes start a new request (the connection's first, or the one after a complete message). */
    void expectHead() {
        state = State.HEAD_PREFIX;
        headStarted = false;
    }

    /** The decoder emitted a head with {@code Transfer-Encoding: chunked}; the next bytes are the first chunk size. */
    void expectChunkedBody() {
        chunkSize = 0;
        state = State.CHUNK_SIZE_LEADING_SPACE;
    }

    /** Nothing to check until told otherwise: a fixed-length body, or a message the decoder already failed. */
    void stop() {
        state = State.OFF;
    }

    boolean active() {
        return state != State.OFF;
    }

    /** Whether the current message has shown a byte other than the control characters allowed before it. */
    boolean headStarted() {
        return headStarted;
    }

    /** The violation found by the last {@link #scan}, if any; the scanner is then off. */
    ErrorKind violation() {
        return violation;
    }

    /**
     * Scans {@code buf[from, to)} and returns the index after the last byte it examined: {@code to}, or less when it
     * reached the end of what it was asked to look at, found a violation or stopped for input Netty rejects.
     */
    int scan(ByteBuf buf, int from, int to) {
        violation = null;
        int i = from;
        while (i < to && state != State.OFF) {
            if (state == State.CHUNK_DATA) {
                int n = (int) Math.min(chunkRemaining, to - i);
                i += n;
                chunkRemaining -= n;
                if (chunkRemaining == 0) {
                    state = State.CHUNK_DATA_CR;
                }
                continue;
            }
            int stop = buf.forEachByte(i, to - i, this);
            if (stop < 0) {
                return to;
            }
            // process() returned false for the byte at stop: the scan ended on it, and that byte counts as examined.
            i = stop + 1;
        }
        return i;
    }

    @Override
    public boolean process(byte b) {
        switch (state) {
            case HEAD_PREFIX:
                if (isControlOrSpace(b)) {
                    return true;
                }
                headStarted = true;
                state = State.REQUEST_LINE;
                return true;
            case REQUEST_LINE:
                if (b == LF) {
                    state = State.HEAD_LINE_START;
                }
                return true;
            case HEAD_LINE_START:
                return lineStart(b, State.HEAD_BLANK_CR, State.HEAD_LINE);
            case HEAD_LINE:
                if (b == LF) {
                    state = State.HEAD_LINE_START;
                }
                return true;
            case HEAD_BLANK_CR:
                return blankCr(b, State.HEAD_LINE);
            case CHUNK_SIZE_LEADING_SPACE:
                if (b == LF) {
                    return giveUp(); // empty size line: Netty rejects it
                }
                if (isWhitespace(b)) {
                    return true;
                }
                return sizeDigit(b, true);
            case CHUNK_SIZE_DIGITS:
                return sizeDigit(b, false);
            case CHUNK_SIZE_REST:
                return b != LF || endOfSizeLine();
            case CHUNK_DATA_CR:
                if (b != CR) {
                    return giveUp();
                }
                state = State.CHUNK_DATA_LF;
                return true;
            case CHUNK_DATA_LF:
                if (b != LF) {
                    return giveUp();
                }
                chunkSize = 0;
                state = State.CHUNK_SIZE_LEADING_SPACE;
                return true;
            case TRAILER_LINE_START:
                return lineStart(b, State.TRAILER_BLANK_CR, State.TRAILER_LINE);
            case TRAILER_LINE:
                if (b == LF) {
                    state = State.TRAILER_LINE_START;
                }
                return true;
            case TRAILER_BLANK_CR:
                return blankCr(b, State.TRAILER_LINE);
            case CHUNK_DATA:
            case OFF:
            default:
                return false;
        }
    }

    private boolean lineStart(byte b, State blankCr, State inLine) {
        if (b == SP || b == HT) {
            violation = ErrorKind.OBSOLETE_LINE_FOLDING;
            state = State.OFF;
            return false;
        }
        if (b == LF) {
            return endOfSection();
        }
        state = b == CR ? blankCr : inLine;
        return true;
    }

    private boolean blankCr(byte b, State inLine) {
        if (b == LF) {
            return endOfSection();
        }
        state = inLine;
        return true;
    }

    /** The blank line after a head or a trailer section: the decoder decides what follows. */
    private boolean endOfSection() {
        state = State.OFF;
        return false;
    }

    private boolean sizeDigit(byte b, boolean first) {
        int digit = hexValue(b);
        if (digit >= 0) {
            chunkSize = (chunkSize << 4) | digit;
            if (chunkSize > Integer.MAX_VALUE) {
                violation = ErrorKind.INVALID_CHUNK;
                state = State.OFF;
                return false;
            }
            state = State.CHUNK_SIZE_DIGITS;
            return true;
        }
        if (first) {
            return giveUp(); // no digit at all: Netty rejects it
        }
        if (b == LF) {
            return endOfSizeLine();
        }
        if (b == ';' || isControlOrSpace(b)) {
            state = State.CHUNK_SIZE_REST;
            return true;
        }
        return giveUp(); // a non-hex character inside the size: Netty rejects it
    }

    /** Returns whether the byte loop may go on: chunk data is skipped in bulk by {@link #scan}, not byte by byte. */
    private boolean endOfSizeLine() {
        if (chunkSize == 0) {
            state = State.TRAILER_LINE_START;
            return true;
        }
        chunkRemaining = chunkSize;
        state = State.CHUNK_DATA;
        return false;
    }

    private boolean giveUp() {
        state = State.OFF;
        return false;
    }

    private static int hexValue(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    /** What Netty skips before a request line: ISO control characters and whitespace. */
    private static boolean isControlOrSpace(byte b) {
        return (b >= 0 && b <= 0x20) || b == 0x7f;
    }

    /** {@link Character#isWhitespace} over a byte, as Netty uses it before a chunk size. */
    private static boolean isWhitespace(byte b) {
        return (b >= 0x09 && b <= 0x0d) || (b >= 0x1c && b <= 0x20);
    }
}
