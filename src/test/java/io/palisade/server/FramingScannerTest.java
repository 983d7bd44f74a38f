package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.palisade.error.ErrorKind;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FramingScannerTest {
    private static final String HEAD = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    @Test
    void headWithoutFolding_stopsRightAfterBlankLine() {
        FramingScanner s = new FramingScanner();
        String input = HEAD + "GET /next";
        assertThat(scanAll(s, input)).isEqualTo(HEAD.length());
        assertThat(s.violation()).isNull();
        assertThat(s.active()).isFalse();
        assertThat(s.headStarted()).isTrue();
    }

    @Test
    void foldedHeaderLine_isAViolation_evenWhenFedOneByteAtATime() {
        String input = "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n";
        assertThat(scanBytewise(new FramingScanner(), input)).isEqualTo(ErrorKind.OBSOLETE_LINE_FOLDING);
        FramingScanner whole = new FramingScanner();
        scanAll(whole, input);
        assertThat(whole.violation()).isEqualTo(ErrorKind.OBSOLETE_LINE_FOLDING);
    }

    @Test
    void leadingEmptyLines_doNotStartAHead() {
        FramingScanner s = new FramingScanner();
        assertThat(scanAll(s, "\r\n\r\n")).isEqualTo(4);
        assertThat(s.headStarted()).isFalse();
        assertThat(s.active()).isTrue();
    }

    @Test
    void chunkedBody_withFoldLikeBytesInData_isNotAViolation_andEndsAfterTrailers() {
        FramingScanner s = new FramingScanner();
        s.expectChunkedBody();
        String body = "5\r\n\r\n ab\r\n3;ext=1\r\nxyz\r\n0\r\nTrailer: v\r\n\r\n";
        assertThat(scanAll(s, body + "GET /")).isEqualTo(body.length());
        assertThat(s.violation()).isNull();
        assertThat(s.active()).isFalse();
    }

    @Test
    void chunkSizeAboveIntMax_isInvalidChunk_includingTheSizesNettyWrapsToZero() {
        for (String size : new String[] {"100000000", "80000000", "ffffffffffffffffff"}) {
            FramingScanner s = new FramingScanner();
            s.expectChunkedBody();
            assertThat(scanBytewise(s, size + "\r\n")).as(size).isEqualTo(ErrorKind.INVALID_CHUNK);
        }
    }

    @Test
    void largestIntChunkSize_andLeadingZeros_areAccepted() {
        FramingScanner s = new FramingScanner();
        s.expectChunkedBody();
        scanAll(s, "00000000000007fffffff\r\n");
        assertThat(s.violation()).isNull();
        assertThat(s.active()).isTrue();
    }

    @Test
    void foldedTrailer_isAViolation() {
        FramingScanner s = new FramingScanner();
        s.expectChunkedBody();
        assertThat(scanBytewise(s, "0\r\nA: b\r\n c\r\n\r\n")).isEqualTo(ErrorKind.OBSOLETE_LINE_FOLDING);
    }

    @Test
    void inputNettyRejectsItself_stopsTheScanWithoutAViolation() {
        FramingScanner s = new FramingScanner();
        s.expectChunkedBody();
        scanAll(s, "zz\r\n");
        assertThat(s.violation()).isNull();
        assertThat(s.active()).isFalse();
    }

    @Test
    void stoppedScanner_examinesNothing() {
        FramingScanner s = new FramingScanner();
        s.stop();
        assertThat(scanAll(s, " folded\r\n")).isZero();
    }

    private static int scanAll(FramingScanner s, String input) {
        ByteBuf buf = Unpooled.copiedBuffer(input, StandardCharsets.ISO_8859_1);
        try {
            return s.scan(buf, 0, buf.writerIndex());
        } finally {
            buf.release();
        }
    }

    private static ErrorKind scanBytewise(FramingScanner s, String input) {
        ByteBuf buf = Unpooled.copiedBuffer(input, StandardCharsets.ISO_8859_1);
        try {
            for (int i = 0; i < buf.writerIndex() && s.active(); i++) {
                s.scan(buf, i, i + 1);
                if (s.violation() != null) {
                    return s.violation();
                }
            }
            return null;
        } finally {
            buf.release();
        }
    }
}
