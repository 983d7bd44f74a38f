package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fuzzes the request decoder and validator (the protocol handlers as the gateway installs them, with a stand-in for
 * the proxy): raw bytes in, in two writes split where the input says. No exception may escape the pipeline, every
 * byte that comes out is a well-formed response, no request gets more than one answer (a refusal at most one more),
 * and nothing leaks: the pool's buffers are tracked with Netty's PARANOID leak detector (the build's setting), which
 * {@code LeakCheckExtension} turns into a failure of this class. The corpus is
 * {@code src/test/resources/io/palisade/server/RequestFuzzTestInputs/decoderAndValidator}; bin/fuzz fuzzes.
 */
class RequestFuzzTest {
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] ([1-5][0-9][0-9]) [^\\r\\n]*\\r\\n");

    @FuzzTest(maxDuration = "10s")
    void decoderAndValidator(byte[] input) {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        TerminalHandler proxy = new TerminalHandler(false, errors);
        EmbeddedChannel ch = new EmbeddedChannel();
        ProtocolHandlers.install(ch.pipeline(), ProtocolTestServer.LIMITS,
                ProtocolHandlers.connectionLimiter(ProtocolTestServer.LIMITS));
        ch.pipeline().addLast("proxy", proxy);
        try {
            int cut = input.length == 0 ? 0 : (input[0] & 0xff) % (input.length + 1);
            ch.writeInbound(Unpooled.wrappedBuffer(input, 0, cut));
            if (ch.isOpen()) {
                ch.writeInbound(Unpooled.wrappedBuffer(input, cut, input.length - cut));
            }
            ch.runPendingTasks();
            ch.checkException();
            assertThat(errors).isEmpty();
            List<Integer> statuses = statuses(Wire.outbound(ch));
            long answered = proxy.seen.stream().filter(s -> s.startsWith("end ")).count();
            assertThat(statuses.size()).as("answers %s to %s", statuses, proxy.seen).isLessThanOrEqualTo(
                    (int) answered + 1);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** The statuses of the responses in {@code out}, which must be nothing but responses. */
    private static List<Integer> statuses(String out) {
        List<Integer> statuses = new ArrayList<>();
        int at = 0;
        while (at < out.length()) {
            Matcher m = STATUS_LINE.matcher(out).region(at, out.length());
            assertThat(m.lookingAt()).as("a response at %d of %s", at, out).isTrue();
            int headEnd = out.indexOf("\r\n\r\n", at);
            assertThat(headEnd).as("a complete head").isPositive();
            String head = out.substring(at, headEnd);
            Matcher length = Pattern.compile("(?i)\r\ncontent-length: *([0-9]+)").matcher(head);
            int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
            statuses.add(Integer.parseInt(m.group(1)));
            at = headEnd + 4 + bodyLength;
        }
        assertThat(at).as("the last response's body is complete").isEqualTo(out.length());
        return statuses;
    }
}
