package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.overload.OverloadState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Under heap pressure an HTTP/1.1 response closes its connection; an HTTP/2 connection gets GOAWAY(NO_ERROR) instead
 * and closes once its streams are done, and the stream that found the gateway overloaded is still served.
 */
class Http2OverloadTest {
    /** GET / on :authority a, HPACK-encoded from the static table. */
    private static final byte[] GET = {(byte) 0x82, (byte) 0x86, (byte) 0x84, 0x41, 0x01, 0x61};
    private static final int HEADERS = 1;
    private static final int SETTINGS = 4;
    private static final int GOAWAY = 7;

    private final NioServerSocketChannel listener = new NioServerSocketChannel();
    private final SetOverload overload = new SetOverload();
    private EmbeddedChannel ch;

    /** An overload state the test sets; the real one reads the heap (OverloadManager). */
    private static final class SetOverload implements OverloadState {
        volatile boolean stopKeepAlive;

        @Override
        public boolean stopKeepAlive() {
            return stopKeepAlive;
        }

        @Override
        public boolean shedRequest() {
            return false;
        }
    }

    /** One frame the server wrote: its type, flags and stream. */
    private record Frame(int type, int flags, int stream, int length) {}

    @AfterEach
    void close() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
        listener.unsafe().closeForcibly();
    }

    private void connect() {
        // Netty's multiplexer tells a server's connection by its parent, a server channel (never bound here).
        ch = new EmbeddedChannel(listener, DefaultChannelId.newInstance(), true, false);
        Http2Handlers.install(ch.pipeline(), Http2Settings.DEFAULTS, ProtocolTestServer.LIMITS, new Http2Counters(),
                stream -> {
                    // The proxy asks each stream to read; the stand-in answers whatever it reads.
                    stream.channel().config().setAutoRead(true);
                    stream.addLast(ProtocolHandlers.REQUEST_VALIDATOR, ProtocolHandlers.requestValidator(
                                    ProtocolTestServer.LIMITS, ServerConfig.RequestIdPolicy.KEEP, "v1",
                                    OutcomePublisher.create(), overload))
                            .addLast("proxy", new TerminalHandler());
                });
        ch.writeInbound(Http2CodecUtil.connectionPrefaceBuf());
        ch.writeInbound(frame(SETTINGS, 0, 0, new byte[0]));
        frames(); // the server's SETTINGS and its ACK
    }

    private static ByteBuf frame(int type, int flags, int stream, byte[] payload) {
        ByteBuf b = Unpooled.buffer(9 + payload.length);
        b.writeMedium(payload.length).writeByte(type).writeByte(flags).writeInt(stream).writeBytes(payload);
        return b;
    }

    private void get(int stream) {
        ch.writeInbound(frame(HEADERS, 0x5, stream, GET)); // END_STREAM | END_HEADERS
        ch.runPendingTasks();
    }

    /** The frames written since the last call (a frame's header and payload may be separate buffers). */
    private List<Frame> frames() {
        ByteBuf all = Unpooled.buffer();
        List<Frame> out = new ArrayList<>();
        try {
            for (Object o; (o = ch.readOutbound()) != null; ) {
                ByteBuf b = (ByteBuf) o;
                all.writeBytes(b);
                b.release();
            }
            while (all.readableBytes() >= 9) {
                int length = all.readUnsignedMedium();
                out.add(new Frame(all.readUnsignedByte(), all.readUnsignedByte(), all.readInt() & 0x7fffffff, length));
                all.skipBytes(length);
            }
        } finally {
            all.release();
        }
        return out;
    }

    @Test
    void withoutOverload_noGoAway() {
        connect();
        get(1);
        List<Frame> out = frames();
        assertThat(out).anyMatch(f -> f.type() == HEADERS && f.stream() == 1);
        assertThat(out).noneMatch(f -> f.type() == GOAWAY);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void underOverload_theConnectionGetsGoAwayOnce_andTheStreamIsStillAnswered() {
        connect();
        overload.stopKeepAlive = true;
        get(1);
        List<Frame> first = frames();
        assertThat(first).as("the response to the stream that found the gateway overloaded")
                .anyMatch(f -> f.type() == HEADERS && f.stream() == 1);
        assertThat(first).as("GOAWAY after the first request").anyMatch(f -> f.type() == GOAWAY);
        assertThat(ch.isOpen()).as("closed once its streams are done").isFalse();
    }
}
