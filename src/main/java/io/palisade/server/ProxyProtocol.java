package io.palisade.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * The PROXY protocol (HAProxy's, v1 text and v2 binary) on a listener with {@code proxy_protocol: true}: a TCP load
 * balancer in front (HAProxy, AWS NLB, Envoy) sends the client's address as the connection's first bytes, before any
 * TLS or HTTP, and the gateway takes it as the connection's peer. Every connection on such a listener must start with
 * the header: one that does not (or sends a malformed one) is closed before anything else is read, as the spec asks,
 * so a client that reaches the listener directly cannot claim an address. A {@code LOCAL} header (the balancer's own
 * health check) keeps the real peer.
 */
public final class ProxyProtocol {
    /** The pipeline names of the decoder and of the handler that takes its message. */
    public static final String DECODER = "palisade-proxy-protocol";
    public static final String RECEIVER = "palisade-proxy-protocol-receiver";
    private static final AttributeKey<String> CLIENT = AttributeKey.valueOf("palisade.proxy-protocol.client");
    /**
     * Fired from the head of the pipeline once the header is read (the client, if it named one, is then
     * {@link #client}): the connection limiter, first in the pipeline, counts the connection for its client then.
     */
    static final Object HEADER_READ = new Object() {
        @Override
        public String toString() {
            return "PROXY_HEADER_READ";
        }
    };

    private ProxyProtocol() {}

    /** Adds the decoder at the end of {@code pipeline}: put it before TLS and HTTP. */
    public static void install(ChannelPipeline pipeline) {
        pipeline.addLast(DECODER, new HAProxyMessageDecoder()).addLast(RECEIVER, new Receiver());
    }

    /**
     * The client address the connection's PROXY header named, or null (no header on this listener, or a LOCAL one).
     * A stream channel of an HTTP/2 connection asks its parent.
     */
    public static String client(Channel channel) {
        String c = channel.attr(CLIENT).get();
        if (c == null && channel.parent() != null) {
            c = channel.parent().attr(CLIENT).get();
        }
        return c;
    }

    private static final class Receiver extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HAProxyMessage m) {
                try {
                    if (m.command() == HAProxyCommand.PROXY && m.sourceAddress() != null) {
                        ctx.channel().attr(CLIENT).set(m.sourceAddress());
                    }
                } finally {
                    ReferenceCountUtil.release(m);
                }
                ctx.pipeline().remove(this);
                ctx.pipeline().fireUserEventTriggered(HEADER_READ);
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof HAProxyProtocolException
                    || cause instanceof DecoderException && cause.getCause() instanceof HAProxyProtocolException) {
                ctx.close(); // no or a malformed PROXY header: nothing after it can be trusted
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
