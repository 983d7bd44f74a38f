package io.palisade.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.BitSet;

/**
 * Right before the frame codec: a HEADERS frame that would open a stream the client can no longer open is a
 * connection error (RFC 9113 §5.1, §5.1.1), which Netty's codec answers with a stream error only:
 *
 * <ul>
 *   <li>on a stream the client has ended (half-closed remote): a stream error {@code STREAM_CLOSED}, not trailers;</li>
 *   <li>on a stream that was opened and has closed normally (both sides ended it): GOAWAY {@code STREAM_CLOSED};</li>
 *   <li>on a stream id lower than one the client already used, never opened (idle streams skipped over are closed):
 *       GOAWAY {@code PROTOCOL_ERROR}.</li>
 * </ul>
 * A stream the gateway reset is left to the codec: the client may have sent frames before it saw the reset.
 *
 * <p>It reads only frame headers, and hands the bytes before each HEADERS frame to the codec before looking at it, so
 * the codec's view of the streams is current when it decides. It copies nothing.
 */
final class Http2StreamIdGuard extends ChannelInboundHandlerAdapter {
    private static final int PREFACE_BYTES = 24;
    private static final int FRAME_HEADER_BYTES = 9;
    private static final int HEADERS = 1;
    /** Stream ids are remembered up to here (a bit each, by id / 2); beyond it a closed stream counts as opened. */
    private static final int REMEMBERED_IDS = 1 << 20;

    private Http2Connection connection;
    private ChannelHandlerContext codecContext;
    private Http2FrameCodec codec;
    /** Bytes of the preface, then of the current frame's payload, still to pass before the next frame header. */
    private long skip = PREFACE_BYTES;
    /** A partial frame header carried over from the previous read. */
    private final byte[] header = new byte[FRAME_HEADER_BYTES];
    private int headerBytes;
    private final BitSet opened = new BitSet();
    private final BitSet resetByUs = new BitSet();
    private boolean failed;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        codec = ctx.pipeline().get(Http2FrameCodec.class);
        codecContext = ctx.pipeline().context(codec);
        connection = codec.connection();
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamAdded(Http2Stream stream) {
                remember(opened, stream.id());
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (stream.isResetSent()) {
                    remember(resetByUs, stream.id());
                }
            }
        });
    }

    private static void remember(BitSet set, int id) {
        if (id > 0 && id / 2 < REMEMBERED_IDS) {
            set.set(id / 2);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (failed) {
            in.release();
            return;
        }
        int passFrom = in.readerIndex();
        int i = in.readerIndex();
        int end = in.writerIndex();
        while (i < end) {
            if (skip > 0) {
                int n = (int) Math.min(skip, end - i);
                skip -= n;
                i += n;
                continue;
            }
            int n = Math.min(FRAME_HEADER_BYTES - headerBytes, end - i);
            in.getBytes(i, header, headerBytes, n);
            int headerStart = i - headerBytes;
            headerBytes += n;
            i += n;
            if (headerBytes < FRAME_HEADER_BYTES) {
                break;
            }
            headerBytes = 0;
            skip = ((header[0] & 0xffL) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
            int streamId = ((header[5] & 0x7f) << 24) | ((header[6] & 0xff) << 16) | ((header[7] & 0xff) << 8)
                    | (header[8] & 0xff);
            if ((header[3] & 0xff) != HEADERS || streamId == 0) {
                continue;
            }
            // Let the codec see everything before this HEADERS frame first, then judge it on the codec's state.
            int before = Math.max(passFrom, headerStart);
            if (before > passFrom) {
                ctx.fireChannelRead(in.retainedSlice(passFrom, before - passFrom));
                passFrom = before;
            }
            Http2Stream open = connection.stream(streamId);
            if (open != null && open.state() == Http2Stream.State.HALF_CLOSED_REMOTE) {
                // The client ended this stream already: a stream error (RFC 9113 §5.1), where the codec would take
                // the block for trailers. The block still goes to the codec, whose HPACK state must see it.
                codec.onError(codecContext, false, Http2Exception.streamError(streamId, Http2Error.STREAM_CLOSED,
                        "HEADERS on stream %d, which the client has ended", streamId));
                continue;
            }
            Http2Error error = refusal(streamId);
            if (error != null) {
                failed = true;
                in.release();
                codec.onError(codecContext, false, Http2Exception.connectionError(error,
                        "HEADERS on stream %d, which the client can no longer open", streamId));
                return;
            }
        }
        if (passFrom == in.readerIndex()) {
            ctx.fireChannelRead(in);
        } else {
            ByteBuf rest = in.retainedSlice(passFrom, end - passFrom);
            in.release();
            ctx.fireChannelRead(rest);
        }
    }

    private Http2Error refusal(int streamId) {
        if ((streamId & 1) == 0 || connection.stream(streamId) != null || connection.goAwaySent()
                || streamId > connection.remote().lastStreamCreated()) {
            return null; // the codec's to judge: a push id, an open stream's trailers, a new stream
        }
        int bit = streamId / 2;
        if (bit >= REMEMBERED_IDS) {
            return Http2Error.STREAM_CLOSED;
        }
        if (resetByUs.get(bit)) {
            return null;
        }
        return opened.get(bit) ? Http2Error.STREAM_CLOSED : Http2Error.PROTOCOL_ERROR;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        failed = true;
    }
}
