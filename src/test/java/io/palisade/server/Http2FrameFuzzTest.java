package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Fuzzes the HTTP/2 connection handlers as a listener installs them (frame codec, stream id guard, connection guard,
 * multiplexer, and per stream the frame-to-HTTP codec, the adapter and the request validator, with a stand-in for the
 * proxy): the client preface, then the fuzzer's bytes as frames, in two writes split where the input says. No exception
 * may escape either pipeline, everything the server writes must be whole HTTP/2 frames after its SETTINGS, and nothing
 * leaks (Netty's PARANOID leak detector, which {@code LeakCheckExtension} turns into a failure of this class). The
 * corpus is {@code src/test/resources/io/palisade/server/Http2FrameFuzzTestInputs/frames}; bin/fuzz fuzzes.
 */
class Http2FrameFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void frames(byte[] input) {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        // Netty's multiplexer tells a server's connection from a client's by its parent (a server channel); the
        // parent is never bound.
        NioServerSocketChannel listener = new NioServerSocketChannel();
        EmbeddedChannel ch = new EmbeddedChannel(listener, DefaultChannelId.newInstance(), true, false);
        // The connection's buffers come from an allocator of this input's own, which counts the bytes not yet
        // released: a leak fails the input that caused it (the leak detector only finds it at some later GC).
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false, true);
        ch.config().setAllocator(alloc);
        Http2Handlers.install(ch.pipeline(), Http2Settings.DEFAULTS, ProtocolTestServer.LIMITS, new Http2Counters(),
                stream -> {
                    // The proxy asks each stream to read (streams start with auto-read off); the stand-in answers
                    // whatever it reads, so streams end and a connection that sent GOAWAY can close.
                    stream.channel().config().setAutoRead(true);
                    stream.addLast(ProtocolHandlers.REQUEST_VALIDATOR,
                                    ProtocolHandlers.requestValidator(ProtocolTestServer.LIMITS))
                            .addLast("proxy", new TerminalHandler(false, errors));
                });
        try {
            ch.writeInbound(Http2CodecUtil.connectionPrefaceBuf());
            int cut = input.length == 0 ? 0 : (input[0] & 0xff) % (input.length + 1);
            ch.writeInbound(Unpooled.wrappedBuffer(input, 0, cut));
            if (ch.isOpen()) {
                ch.writeInbound(Unpooled.wrappedBuffer(input, cut, input.length - cut));
            }
            ch.runPendingTasks();
            ch.checkException();
            assertThat(errors).isEmpty();
            assertWholeFrames(ch);
        } finally {
            // The end of the input is the client going away: the transport closes the channel under the pipeline. (A
            // close from the gateway's side would be HTTP/2's graceful one, which waits for the streams the input
            // left open, and the buffers the codec holds for them would still be held when they are counted.)
            ch.unsafe().close(ch.voidPromise());
            ch.runPendingTasks();
            ch.finishAndReleaseAll();
            listener.unsafe().closeForcibly();
        }
        assertThat(alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory())
                .as("bytes of the connection's buffers never released").isZero();
    }

    /** The server's output is a sequence of complete frames (9-byte header and its declared payload). */
    private static void assertWholeFrames(EmbeddedChannel ch) {
        ByteBuf out = Unpooled.buffer();
        try {
            for (Object o; (o = ch.readOutbound()) != null; ) {
                if (o instanceof ByteBuf b) {
                    out.writeBytes(b);
                    b.release();
                }
            }
            int frames = 0;
            while (out.isReadable()) {
                assertThat(out.readableBytes()).as("a frame header after %d frames", frames).isGreaterThanOrEqualTo(9);
                int length = out.readUnsignedMedium();
                out.skipBytes(6);
                assertThat(out.readableBytes()).as("the payload of frame %d", frames).isGreaterThanOrEqualTo(length);
                out.skipBytes(length);
                frames++;
            }
        } finally {
            out.release();
        }
    }
}
