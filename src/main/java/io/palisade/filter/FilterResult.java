package io.palisade.filter;

import io.netty.handler.codec.http.HttpHeaders;
import io.palisade.error.ErrorKind;
import io.palisade.error.ErrorResponses;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A filter's decision: go on, or answer now with an {@link ErrorKind}. Plain values, pre-built for the common cases, so
 * a flood of rejections allocates nothing.
 */
public final class FilterResult {
    public static final FilterResult PROCEED = new FilterResult(null, ErrorResponses.RETRY_AFTER_SECONDS, null);
    /** A completed future, not {@code completedStage}: the chain's fast path asks {@code isDone()}. */
    public static final CompletionStage<FilterResult> PROCEED_STAGE = CompletableFuture.completedFuture(PROCEED);
    private static final Map<ErrorKind, FilterResult> REJECTIONS = new EnumMap<>(ErrorKind.class);
    private static final Map<ErrorKind, CompletionStage<FilterResult>> REJECTION_STAGES = new EnumMap<>(ErrorKind.class);

    static {
        for (ErrorKind kind : ErrorKind.values()) {
            FilterResult r = new FilterResult(kind, ErrorResponses.RETRY_AFTER_SECONDS, null);
            REJECTIONS.put(kind, r);
            REJECTION_STAGES.put(kind, CompletableFuture.completedFuture(r));
        }
    }

    private final ErrorKind rejection;
    private final int retryAfterSeconds;
    private final HttpHeaders headers;

    private FilterResult(ErrorKind rejection, int retryAfterSeconds, HttpHeaders headers) {
        this.rejection = rejection;
        this.retryAfterSeconds = retryAfterSeconds;
        this.headers = headers;
    }

    public static FilterResult reject(ErrorKind kind) {
        return REJECTIONS.get(kind);
    }

    public static CompletionStage<FilterResult> rejectStage(ErrorKind kind) {
        return REJECTION_STAGES.get(kind);
    }

    /**
     * A rejection with its own Retry-After and extra response headers (e.g. RateLimit headers on a 429). The result
     * takes {@code headers} as they are: pass a map built for it, not one that changes later.
     */
    public static FilterResult reject(ErrorKind kind, int retryAfterSeconds, HttpHeaders headers) {
        return new FilterResult(kind, Math.max(1, retryAfterSeconds), headers);
    }

    public boolean proceeds() {
        return rejection == null;
    }

    /** The kind of rejection; only meaningful when {@link #proceeds()} is false. */
    public ErrorKind rejection() {
        return rejection;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** Extra headers for the rejection response; empty when there are none. */
    public HttpHeaders headers() {
        return headers == null ? io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE : headers;
    }
}
