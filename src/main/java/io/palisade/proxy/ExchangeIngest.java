package io.palisade.proxy;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.error.ErrorKind;
import io.palisade.route.IngestAction;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * An {@link Exchange} on an ingest route, in INGESTING: reads the whole body (the route's {@code max_record} bounds
 * it, as {@code max_body} bounds any body), hands it to the snapshot's {@link IngestTarget}, and answers
 * {@code 202 {"id": ..., "status": "accepted"}} once the target says the record is durable. The route's request
 * timeout bounds both the body's arrival (408) and the store's answer (503): a client is never left waiting on a disk.
 */
final class ExchangeIngest {
    /** RFC-draft Idempotency-Key: a short opaque token; longer keys are refused rather than truncated. */
    static final int MAX_IDEMPOTENCY_KEY = 255;
    static final String IDEMPOTENCY_KEY = "idempotency-key";

    private ExchangeIngest() {}

    /** The filters passed: refuse what the head already decides, then read the body to its end. */
    static void start(Exchange ex) {
        Optional<String> key;
        try {
            key = idempotencyKey(ex.request.headers());
        } catch (IllegalArgumentException e) {
            ex.respondError(ErrorKind.INVALID_IDEMPOTENCY_KEY);
            return;
        }
        ex.ingestKey = key;
        Optional<IngestTarget.Refused> refused = ex.snapshot.ingest().admit(ex.route.config().id(),
                Math.max(0, ex.declaredLength));
        if (refused.isPresent()) {
            ex.respondError(refused.get().kind(), refused.get().retryAfterSeconds(), null);
            return;
        }
        ex.deadlineNanos = System.nanoTime() + ex.route.ingestTimeoutNanos();
        ex.owner.armDeadline(ex.deadlineNanos);
        int expected = (int) Math.min(Math.max(ex.declaredLength, 0), ex.route.maxBody());
        ex.ingestBody = ex.ctx.alloc().compositeBuffer(Math.max(2, Math.min(1024, expected / 1024 + 2)));
        HttpContent queued;
        boolean last = false;
        while (ex.queued != null && (queued = ex.queued.poll()) != null) {
            last |= queued instanceof io.netty.handler.codec.http.LastHttpContent;
            append(ex, queued);
        }
        if (ex.requestComplete || last) {
            submit(ex);
            return;
        }
        if (ex.expectContinue) {
            ExchangeBody.sendContinue(ex);
        }
        ex.owner.readDownstream();
    }

    /** A part of the body (already counted and checked against the limit by {@link ExchangeBody}). */
    static void onContent(Exchange ex, HttpContent content, boolean last) {
        append(ex, content);
        if (last) {
            submit(ex);
        }
    }

    /** Keeps reading a body that has not ended; nothing is read once the record went to the store. */
    static void onDownstreamReadComplete(Exchange ex) {
        if (!ex.requestComplete && !ex.ingestSubmitted) {
            ex.owner.readDownstream();
        }
    }

    private static void append(Exchange ex, HttpContent content) {
        if (content.content().isReadable()) {
            ex.ingestBody.addComponent(true, content.content().retain());
        }
        content.release();
    }

    private static void submit(Exchange ex) {
        byte[] body = ByteBufUtil.getBytes(ex.ingestBody);
        ex.ingestBody.release();
        ex.ingestBody = null;
        ex.ingestSubmitted = true;
        IngestAction action = ex.route.ingest();
        IngestTarget.Submission submission = new IngestTarget.Submission(ex.route.config().id(),
                ex.request.method().name(), ex.path, ex.query, storedHeaders(ex.request.headers(), action),
                Optional.ofNullable(ex.consumer), body, ex.ingestKey);
        ex.snapshot.ingest().accept(submission).whenComplete((result, failure) -> {
            try {
                ex.ctx.channel().eventLoop().execute(() -> done(ex, result, failure));
            } catch (RejectedExecutionException e) {
                // The loop is shutting down with the connection: nobody is left to answer.
            }
        });
    }

    private static void done(Exchange ex, IngestTarget.Result result, Throwable failure) {
        if (ex.isDone()) {
            return; // the client left or the deadline answered; a stored record is still delivered
        }
        if (failure != null) {
            ex.runtime.logFailure("the ingest store failed a record", failure);
            ex.respondError(ErrorKind.INGEST_UNAVAILABLE);
            return;
        }
        switch (result) {
            case IngestTarget.Accepted accepted -> ex.respondOwn(accepted(ex, accepted), null);
            case IngestTarget.Refused refused -> ex.respondError(refused.kind(), refused.retryAfterSeconds(), null);
        }
    }

    private static FullHttpResponse accepted(Exchange ex, IngestTarget.Accepted accepted) {
        // Ids are generated (UUID text), so no escaping is needed.
        byte[] json = ("{\"id\":\"" + accepted.id() + "\",\"status\":\"accepted\"}").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.ACCEPTED,
                ex.ctx.alloc().buffer(json.length).writeBytes(json));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-request-id", ex.requestId);
        if (accepted.duplicate()) {
            response.headers().set("idempotent-replayed", "true");
        }
        return response;
    }

    /** The route's {@code store_headers} the request carries, every value, in the config's order. */
    static List<Map.Entry<String, String>> storedHeaders(HttpHeaders headers, IngestAction action) {
        List<Map.Entry<String, String>> out = new ArrayList<>(action.storeHeaders().size());
        for (String name : action.storeHeaders()) {
            for (String value : headers.getAll(name)) {
                out.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
            }
        }
        return out;
    }

    /**
     * The client's key, if it sent one: 1 to 255 visible ASCII characters, once.
     *
     * @throws IllegalArgumentException when it is there but unusable
     */
    static Optional<String> idempotencyKey(HttpHeaders headers) {
        List<String> all = headers.getAll(IDEMPOTENCY_KEY);
        if (all.isEmpty()) {
            return Optional.empty();
        }
        if (all.size() > 1) {
            throw new IllegalArgumentException("more than one Idempotency-Key");
        }
        String key = all.get(0);
        if (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY) {
            throw new IllegalArgumentException("Idempotency-Key length");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("Idempotency-Key character");
            }
        }
        return Optional.of(key);
    }

    /** Lets go of a body read so far (the exchange ended before handing it over). */
    static void release(Exchange ex) {
        if (ex.ingestBody != null) {
            ex.ingestBody.release();
            ex.ingestBody = null;
        }
    }
}
