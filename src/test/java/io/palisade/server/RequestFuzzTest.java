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
 * byte that comes out is a well-formed response, no request gets more than one answer, nothing is answered after a refusal that closes the connection,
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
            List<Answer> answers = answers(Wire.outbound(ch));
            long requests = proxy.seen.stream().filter(s -> s.startsWith("end ")).count();
            long fromProxy = answers.stream().filter(a -> a.status() == 200 || a.status() == 404).count();
            assertThat(fromProxy).as("answers %s to %s", answers, proxy.seen).isLessThanOrEqualTo(requests);
            // Refusals that keep the connection (405 to CONNECT) may repeat; one that closes it is the last word.
            for (int i = 0; i < answers.size() - 1; i++) {
                assertThat(answers.get(i).closes()).as("an answer after a closing one: %s", answers).isFalse();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** One response: its status, and whether it says the connection closes after it. */
    private record Answer(int status, boolean closes) {}

    /** The responses in {@code out}, which must be nothing but responses. */
    private static List<Answer> answers(String out) {
        List<Answer> answers = new ArrayList<>();
        int at = 0;
        while (at < out.length()) {
            Matcher m = STATUS_LINE.matcher(out).region(at, out.length());
            assertThat(m.lookingAt()).as("a response at %d of %s", at, out).isTrue();
            int headEnd = out.indexOf("\r\n\r\n", at);
            assertThat(headEnd).as("a complete head").isPositive();
            String head = out.substring(at, headEnd);
            Matcher length = Pattern.compile("(?i)\r\ncontent-length: *([0-9]+)").matcher(head);
            int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
            if (headEnd + 4 == out.length() || out.startsWith("HTTP/1.", headEnd + 4)) {
                bodyLength = 0; // the answer to a HEAD: its Content-Length is the GET's, with no body
            }
            answers.add(new Answer(Integer.parseInt(m.group(1)),
                    Pattern.compile("(?i)\r\nconnection: *close").matcher(head).find()));
            at = headEnd + 4 + bodyLength;
        }
        assertThat(at).as("the last response's body is complete").isEqualTo(out.length());
        return answers;
    }
}
