package io.palisade.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * First on a plain listener's connection that takes h2c with prior knowledge, in front of the HTTP/1.1 handlers:
 * reads the first bytes and compares them with the HTTP/2 connection preface ({@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}).
 *
 * <ul>
 *   <li>At the first byte that differs (for any real HTTP/1.1 request, the first or second byte), it removes itself
 *       and passes what it held on: the HTTP/1.1 handlers serve the connection as if it had never been there.</li>
 *   <li>On the whole preface, it replaces every handler after it with the HTTP/2 ones ({@link Http2Handlers#install})
 *       and passes the bytes to them.</li>
 * </ul>
 * It holds at most the preface's 24 bytes. Until it decides, the HTTP/1.1 handlers' idle deadline runs, so a client
 * that stops half way through the preface is closed like any idle connection.
 */
final class H2cPrefaceDetector extends ChannelInboundHandlerAdapter {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final Consumer<ChannelPipeline> installHttp2;
    private ByteBuf held;

    /** @param installHttp2 adds the HTTP/2 handlers to the end of the pipeline */
    H2cPrefaceDetector(Consumer<ChannelPipeline> installHttp2) {
        this.installHttp2 = installHttp2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf buf = held == null ? in : ctx.alloc().buffer(held.readableBytes() + in.readableBytes())
                .writeBytes(held).writeBytes(in);
        if (held != null) {
            held.release();
            in.release();
            held = null;
        }
        int n = Math.min(buf.readableBytes(), PREFACE.readableBytes());
        for (int i = 0; i < n; i++) {
            if (buf.getByte(buf.readerIndex() + i) != PREFACE.getByte(i)) {
                ctx.pipeline().remove(this);
                ctx.fireChannelRead(buf);
                return;
            }
        }
        if (n < PREFACE.readableBytes()) {
            held = buf; // a prefix of the preface so far: wait for more (the handlers after ask for the next read)
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        List<String> after = new ArrayList<>();
        boolean seen = false;
        for (String name : p.names()) {
            if (seen && p.get(name) != null) {
                after.add(name);
            }
            seen |= p.context(name) == ctx;
        }
        for (String name : after) {
            p.remove(name);
        }
        installHttp2.accept(p);
        // Flow control bounds what a client may send; reading is no longer paced by one request at a time.
        ctx.channel().config().setAutoRead(true);
        p.remove(this);
        p.fireChannelRead(buf);
        p.fireChannelReadComplete();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ReferenceCountUtil.release(held);
        held = null;
    }
}
