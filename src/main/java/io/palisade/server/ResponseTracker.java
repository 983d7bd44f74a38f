package io.palisade.server;

import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;

/**
 * One request on a client connection and the response written for it: how far each has got, and whether the
 * connection must close after the response. The {@link RequestValidator} asks it about every response message the
 * proxy writes ({@link #onWrite}): it lets through one final response (after any {@code 1xx}), refuses anything else,
 * and keeps the response's framing right for the client whatever the proxy wrote. Kept apart from the validator so
 * that the rules of one exchange can be read (and tested) without the connection's sequencing around them.
 *
 * <p>A connection has at most one request at a time, and nothing keeps its tracker once the request is finished, so
 * each validator resets one instance per request instead of allocating one.
 */
final class ResponseTracker {
    enum ResponseState { NONE, INTERIM, STARTED, DONE }

    /** What the validator does with a response message written for the request. */
    enum Write {
        /** Not a message this request may have now: fail its promise. */
        REFUSE,
        /** Part of the response (or an interim one): pass it on. */
        PASS,
        /** The end of the final response, on a connection that stays open. */
        LAST,
        /** The end of the final response, after which the connection closes. */
        LAST_THEN_CLOSE
    }

    String requestId;
    boolean keepAlive;
    boolean http10;
    boolean head;
    /** The head went to the proxy, so the proxy owns the request until it ends or is aborted. */
    boolean forwarded;
    /** No more of this request will arrive: its last content, or a failure that ends the stream. */
    boolean inboundDone;
    /**
     * The stream ended on a failure (decoding, or a body over the limit): the decoder or the validator drops what
     * follows, but the client may still be sending it.
     */
    boolean streamCut;
    ResponseState response;
    boolean closeAfterResponse;
    /** Why the validator answered or aborted the request; refused late writes carry it. */
    ErrorKind failure;
    long bodyBytes;
    /** For the outcome of a request answered by the validator: when its head began, its method and target. */
    long startNanos;
    /** "" when unknown. */
    String method;
    /** "" when unknown. */
    String target;

    ResponseTracker start(String id, HttpRequest request, long startNanos) {
        reset(id, startNanos);
        keepAlive = HttpUtil.isKeepAlive(request);
        http10 = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
        head = HttpMethod.HEAD.equals(request.method());
        method = request.method().name();
        target = request.uri();
        return this;
    }

    /** For a failure outside any request: not keep-alive, so answering it closes the connection. */
    ResponseTracker startOutsideRequest(String id, long startNanos) {
        reset(id, startNanos);
        keepAlive = false;
        http10 = false;
        head = false;
        method = "";
        target = "";
        return this;
    }

    private void reset(String id, long start) {
        requestId = id;
        startNanos = start;
        forwarded = false;
        inboundDone = false;
        streamCut = false;
        response = ResponseState.NONE;
        closeAfterResponse = false;
        failure = null;
        bodyBytes = 0;
    }

    /** What an undecodable head says its method and target are is not to be trusted, or logged. */
    void distrustHead() {
        method = "";
        target = "";
    }

    boolean responseDone() {
        return response == ResponseState.DONE;
    }

    /** The request's stream ended on a failure: nothing more of it is read, though the client may still send it. */
    void cut() {
        inboundDone = true;
        streamCut = true;
    }

    /** Whether the client may still be sending bytes of this request. */
    boolean inputMayFollow() {
        return !inboundDone || streamCut;
    }

    /** The validator answers the request itself with {@code kind}: its response is complete. */
    void answered(ErrorKind kind) {
        failure = kind;
        response = ResponseState.DONE;
    }

    /**
     * Accounts for {@code msg}, a response message the proxy writes for this request.
     *
     * @param closing the connection is done for whatever the response says
     */
    Write onWrite(HttpObject msg, boolean closing) {
        if (msg instanceof HttpResponse r) {
            if (response != ResponseState.NONE) {
                return Write.REFUSE;
            }
            if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                response = ResponseState.INTERIM;
            } else {
                response = ResponseState.STARTED;
                prepareFinalResponse(r, closing);
            }
        } else if (response != ResponseState.STARTED && response != ResponseState.INTERIM) {
            return Write.REFUSE;
        }
        if (!(msg instanceof LastHttpContent)) {
            return Write.PASS;
        }
        if (response == ResponseState.INTERIM) {
            response = ResponseState.NONE;
            return Write.PASS;
        }
        response = ResponseState.DONE;
        return closeAfterResponse || closing ? Write.LAST_THEN_CLOSE : Write.LAST;
    }

    /** Keeps the connection's framing right whatever the proxy wrote: close semantics and HTTP/1.0 delimiting. */
    private void prepareFinalResponse(HttpResponse r, boolean closing) {
        HttpHeaders headers = r.headers();
        int code = r.status().code();
        boolean bodyless = head || code == 204 || code == 304;
        boolean chunked = HttpUtil.isTransferEncodingChunked(r);
        if (http10 && chunked) {
            // An HTTP/1.0 client knows no chunked coding: the body goes out as is, delimited by the close.
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        }
        boolean delimitedByClose = !bodyless && !HttpUtil.isContentLengthSet(r) && (!chunked || http10);
        if (delimitedByClose || !keepAlive || closing
                || headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            closeAfterResponse = true;
        } else if (http10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    /**
     * Releases a refused message and fails its promise with why {@code tracker}'s request was answered, if known
     * ({@code tracker} null: no request is being served).
     */
    static void refuse(Object msg, ChannelPromise promise, ResponseTracker tracker) {
        ReferenceCountUtil.release(msg);
        ErrorKind why = tracker != null && tracker.failure != null ? tracker.failure : ErrorKind.INTERNAL;
        promise.tryFailure(GatewayException.of(why));
    }
}
