package io.palisade.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Helpers for feeding raw HTTP bytes into an {@link EmbeddedChannel} and reading raw bytes back. */
final class Wire {
    static final ServerLimits LIMITS = new ServerLimits(8192, 8192, 1 << 20, Duration.ofMillis(300),
            Duration.ofSeconds(5), 100);

    private Wire() {}

    static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** Writes {@code s} inbound one byte per read, the worst fragmentation a client can cause. */
    static void writeBytewise(EmbeddedChannel ch, String s) {
        for (int i = 0; i < s.length(); i++) {
            ch.writeInbound(bytes(s.substring(i, i + 1)));
        }
    }

    /** Everything written outbound so far, as ISO-8859-1 text; the buffers are released. */
    static String outbound(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            try {
                sb.append(b.toString(StandardCharsets.ISO_8859_1));
            } finally {
                b.release();
            }
        }
        return sb.toString();
    }
}
