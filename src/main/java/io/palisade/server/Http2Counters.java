package io.palisade.server;

import io.netty.handler.codec.http2.Http2Error;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * What the HTTP/2 connections of a gateway did, for the metrics read at scrape time: streams opened, streams reset
 * (by the client, by the gateway), and GOAWAYs sent by their error code (the reason: {@code NO_ERROR} for a graceful
 * close or an idle connection, {@code ENHANCE_YOUR_CALM} for a flood, {@code PROTOCOL_ERROR}...). One per gateway,
 * shared by every connection: adders, so event loops do not contend.
 */
public final class Http2Counters {
    private final LongAdder streamsOpened = new LongAdder();
    private final LongAdder resetsByClient = new LongAdder();
    private final LongAdder resetsByGateway = new LongAdder();
    private final Map<Http2Error, LongAdder> goAways = new EnumMap<>(Http2Error.class);

    public Http2Counters() {
        for (Http2Error e : Http2Error.values()) {
            goAways.put(e, new LongAdder());
        }
    }

    public long streamsOpened() {
        return streamsOpened.sum();
    }

    /** Streams the client ended with RST_STREAM. */
    public long resetsByClient() {
        return resetsByClient.sum();
    }

    /** Streams the gateway ended with RST_STREAM (refused, malformed, cancelled, cut). */
    public long resetsByGateway() {
        return resetsByGateway.sum();
    }

    /** GOAWAYs sent with {@code error}. */
    public long goAwaysSent(Http2Error error) {
        return goAways.get(error).sum();
    }

    /** Each reason a GOAWAY was sent for at least once, with its count (lower-case error name, e.g. {@code no_error}). */
    public void forEachGoAway(BiConsumer<String, Long> reasonAndCount) {
        goAways.forEach((error, count) -> {
            long n = count.sum();
            if (n > 0) {
                reasonAndCount.accept(error.name().toLowerCase(java.util.Locale.ROOT), n);
            }
        });
    }

    void streamOpened() {
        streamsOpened.increment();
    }

    void resetByClient() {
        resetsByClient.increment();
    }

    void resetByGateway() {
        resetsByGateway.increment();
    }

    void goAwaySent(long errorCode) {
        Http2Error e = Http2Error.valueOf(errorCode);
        goAways.get(e == null ? Http2Error.INTERNAL_ERROR : e).increment();
    }
}
