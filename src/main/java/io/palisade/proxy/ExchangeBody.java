package io.palisade.proxy;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.palisade.error.ErrorKind;
import java.util.ArrayDeque;

/**
 * Admission of an {@link Exchange}'s request body: the route's {@code max_body} and {@code require_body}, decided from
 * the head where it can be and from the bytes where it must; {@code 100 Continue} once the gateway is ready to read the
 * body; and the queue for what arrives before an upstream is attached (at most what one socket read decoded: reading
 * stops until the upstream is ready).
 */
final class ExchangeBody {
    private ExchangeBody() {}

    /** What can be decided from the head alone; false when the exchange has answered. */
    static boolean admitHead(Exchange ex) {
        if (ex.declaredLength > ex.route.maxBody()) {
            ex.respondError(ErrorKind.BODY_TOO_LARGE);
            return false;
        }
        if (ex.route.requireBody()) {
            if (!ex.chunkedRequest && ex.declaredLength <= 0) {
                ex.respondError(ErrorKind.BODY_REQUIRED);
                return false;
            }
            // A chunked body may still turn out empty: dispatch waits for its first byte (seed 003).
            ex.awaitingFirstBody = ex.chunkedRequest;
        }
        return true;
    }

    /**
     * Whether the request may go upstream now that the filters passed: not while a chunked body on a
     * {@code require_body} route has not shown a byte (the exchange parks and reads on), never when it ended empty.
     */
    static boolean readyForDispatch(Exchange ex) {
        if (ex.awaitingFirstBody && ex.bodyBytes == 0 && !ex.requestComplete) {
            ex.parkedForBody = true;
            if (ex.expectContinue) {
                sendContinue(ex);
            }
            ex.owner.readDownstream();
            return false;
        }
        ex.parkedForBody = false;
        if (ex.awaitingFirstBody && ex.bodyBytes == 0) {
            ex.respondError(ErrorKind.BODY_REQUIRED);
            return false;
        }
        ex.awaitingFirstBody = false;
        return true;
    }

    /** A part of the request body from the client. */
    static void onContent(Exchange ex, HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            ex.requestComplete = true; // nothing more will be read from this connection
            ex.fail(ErrorKind.INVALID_CHUNK);
            return;
        }
        ex.bodyBytes += content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (last) {
            ex.requestComplete = true;
        }
        if (ex.isDone()) {
            content.release();
            return;
        }
        if (ex.bodyBytes > ex.route.maxBody()) {
            content.release();
            ex.fail(ErrorKind.BODY_TOO_LARGE);
            return;
        }
        if (ex.state() == Exchange.State.FORWARDING) {
            ExchangeStreaming.toUpstream(ex, content, last);
            return;
        }
        if (ex.state() == Exchange.State.INGESTING) {
            ExchangeIngest.onContent(ex, content, last);
            return;
        }
        if (ex.queued == null) {
            ex.queued = new ArrayDeque<>(4);
        }
        ex.queued.add(content);
        if (ex.parkedForBody && (ex.bodyBytes > 0 || last)) {
            ex.filtersPassed();
        }
    }

    /** Tells an HTTP/1.1 client that asked for it to send its body now. */
    static void sendContinue(Exchange ex) {
        ex.expectContinue = false;
        ex.request.headers().remove(HttpHeaderNames.EXPECT);
        ex.ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                ex.ctx.alloc().buffer(0)));
    }

    static void releaseQueued(Exchange ex) {
        HttpContent c;
        while (ex.queued != null && (c = ex.queued.poll()) != null) {
            c.release();
        }
    }
}
