package io.palisade.proxy;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.upstream.Endpoint;

/**
 * Streaming of an {@link Exchange} in FORWARDING, both ways, with backpressure: the side being written to decides when
 * the other side reads again (the client connection does not auto-read; the upstream connection reads one batch at a
 * time). Writes use void promises on both sides: a failed write fires exceptionCaught, which closes that connection,
 * and the exchange learns of it through the close.
 */
final class ExchangeStreaming {
    private ExchangeStreaming() {}

    /** Sends the request head and whatever of the body is queued on a freshly attached connection. */
    static void startRequest(Exchange ex, UpstreamConnection c) {
        c.channel.write(ex.request, c.channel.voidPromise());
        HttpContent content;
        boolean lastWritten = false;
        while (ex.queued != null && (content = ex.queued.poll()) != null) {
            if (content.content().isReadable()) {
                ex.bodySent = true;
            }
            lastWritten |= content instanceof LastHttpContent;
            c.channel.write(content, c.channel.voidPromise());
        }
        if (ex.requestComplete && !lastWritten) {
            // A retry of a body-less request: its (empty) last chunk went to the failed connection.
            c.channel.write(LastHttpContent.EMPTY_LAST_CONTENT, c.channel.voidPromise());
        }
        c.channel.flush();
        c.channel.read();
        if (!ex.requestComplete) {
            if (c.channel.isWritable()) {
                ex.owner.readDownstream();
            } else {
                ex.waitingUpstreamWritable = true;
            }
        }
    }

    /** A part of the request body, admitted, for the attached upstream. */
    static void toUpstream(Exchange ex, HttpContent content, boolean last) {
        if (content.content().isReadable()) {
            ex.bodySent = true;
        }
        ex.upstream.channel.write(content, ex.upstream.channel.voidPromise());
        if (last) {
            ex.upstream.channel.flush();
        }
    }

    static void onDownstreamReadComplete(Exchange ex) {
        if (ex.state() == Exchange.State.FORWARDING && ex.upstream != null) {
            ex.upstream.channel.flush();
            if (!ex.requestComplete) {
                if (ex.upstream.channel.isWritable()) {
                    ex.owner.readDownstream();
                } else {
                    ex.waitingUpstreamWritable = true;
                }
            }
        } else if (ex.state() == Exchange.State.FILTERING && ex.parkedForBody && !ex.requestComplete) {
            ex.owner.readDownstream();
        } else if (ex.state() == Exchange.State.INGESTING) {
            ExchangeIngest.onDownstreamReadComplete(ex);
        }
    }

    static void onUpstreamWritable(Exchange ex, UpstreamConnection c) {
        if (c == ex.upstream && ex.waitingUpstreamWritable) {
            ex.waitingUpstreamWritable = false;
            ex.owner.readDownstream();
        }
    }

    static void onUpstreamMessage(Exchange ex, UpstreamConnection c, Object msg) {
        if (c != ex.upstream || ex.state() != Exchange.State.FORWARDING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (((HttpObject) msg).decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            ExchangeDispatch.upstreamFailed(ex, Endpoint.FailureKind.RESET, "protocol");
            ex.fail(ErrorKind.UPSTREAM_PROTOCOL_ERROR);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.status().code() == 101) {
                if (ex.upgrade) {
                    WebSocketTunnel.open(ex, c, response);
                    return;
                }
                // A switch nobody asked for: the connection now speaks something else.
                ReferenceCountUtil.release(msg);
                ExchangeDispatch.upstreamFailed(ex, Endpoint.FailureKind.RESET, "protocol");
                ex.fail(ErrorKind.UPSTREAM_PROTOCOL_ERROR);
                return;
            }
            if (ex.upgrade && response.status().codeClass() == HttpStatusClass.SUCCESS
                    && WebSocketTunnel.overHttp2(ex)) {
                // To an RFC 8441 client any 2xx means "the tunnel is open": an upstream that answered the upgrade
                // as a plain request must not be taken for one.
                ReferenceCountUtil.release(msg);
                ExchangeDispatch.upstreamFailed(ex, Endpoint.FailureKind.RESET, "protocol");
                ex.fail(ErrorKind.UPSTREAM_PROTOCOL_ERROR);
                return;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                ReferenceCountUtil.release(msg);
                return;
            }
            onResponseHead(ex, response);
        }
        if (msg instanceof HttpContent content) {
            ex.responseBytes += content.content().readableBytes();
            boolean last = content instanceof LastHttpContent;
            ex.ctx.write(msg, ex.ctx.voidPromise());
            if (last) {
                ex.finishResponse();
            }
        } else if (msg instanceof HttpResponse) {
            ex.ctx.write(msg, ex.ctx.voidPromise());
        }
    }

    private static void onResponseHead(Exchange ex, HttpResponse response) {
        ex.responseStarted = true;
        ex.status = response.status().code();
        ex.upstreamNanos = System.nanoTime() - ex.upstreamStartNanos;
        if (ex.status >= 500) {
            ExchangeDispatch.upstreamFailed(ex, Endpoint.FailureKind.SERVER_ERROR, "5xx");
        } else {
            ex.endpoint.onSuccess();
        }
        ex.upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        Headers.toClient(ex, response);
    }

    static void onUpstreamReadComplete(Exchange ex, UpstreamConnection c) {
        if (c != ex.upstream || ex.state() != Exchange.State.FORWARDING) {
            return;
        }
        ex.ctx.flush();
        if (ex.ctx.channel().isWritable()) {
            c.channel.read();
        } else {
            ex.waitingDownstreamWritable = true;
        }
    }

    static void onDownstreamWritable(Exchange ex) {
        if (ex.waitingDownstreamWritable && ex.upstream != null && ex.state() == Exchange.State.FORWARDING) {
            ex.waitingDownstreamWritable = false;
            ex.upstream.channel.read();
        }
    }
}
