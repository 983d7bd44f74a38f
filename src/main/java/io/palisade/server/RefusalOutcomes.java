package io.palisade.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.Ticker;
import io.palisade.error.ErrorKind;
import io.palisade.outcome.Outcome;
import io.palisade.outcome.OutcomePublisher;
import java.net.InetSocketAddress;

/**
 * The {@link Outcome} of every request the {@link RequestValidator} answers itself before the proxy saw it (431, 414,
 * 400, 408, 501...): route {@link Outcome#UNMATCHED_ROUTE}, the error, the bytes of the error body, so refused
 * requests are logged and counted like any other. One per connection: it also keeps when the next request's head
 * began, which only these outcomes need (the proxy times the requests it receives itself).
 */
final class RefusalOutcomes {
    private final String configVersion;
    private final OutcomePublisher outcomes;
    /** The first byte of the next request's head arrived at {@link #headStartNanos}. */
    private boolean headStarted;
    private long headStartNanos;

    RefusalOutcomes(String configVersion, OutcomePublisher outcomes) {
        this.configVersion = configVersion;
        this.outcomes = outcomes;
    }

    /** The first byte of the next request's head arrived now (see {@link RequestHeadStarted}). */
    void headStarted(ChannelHandlerContext ctx) {
        headStarted = true;
        headStartNanos = now(ctx);
    }

    /**
     * When the request whose head the validator has now began: when its first byte arrived, if that was seen, else
     * now (a held pipelined request's head began while another was served: it is timed from when it goes on).
     */
    long requestStart(ChannelHandlerContext ctx) {
        long start = headStarted ? headStartNanos : now(ctx);
        headStarted = false;
        return start;
    }

    /** Publishes the outcome of {@code ex}, answered with {@code kind} in an error body of {@code bytesOut} bytes. */
    void publish(ChannelHandlerContext ctx, ResponseTracker ex, ErrorKind kind, long bytesOut) {
        String target = kind == ErrorKind.URI_TOO_LONG ? "" : ex.target; // over the limit: not written to logs
        int q = target.indexOf('?');
        outcomes.publish(new Outcome(ex.requestId, configVersion, ex.startNanos, clientIp(ctx), ex.method,
                q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1),
                Outcome.UNMATCHED_ROUTE, "", "", "", kind.status().code(), Outcome.Ending.ANSWERED,
                Outcome.errorOf(kind), ex.bodyBytes, bytesOut, now(ctx) - ex.startNanos, 0, 0, ""));
    }

    private static String clientIp(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : "";
    }

    /**
     * Now, on {@link System#nanoTime()}'s scale as outcomes are, read from the event loop's ticker (the one its
     * scheduler and the header read deadline run on; a test's mock ticker), which counts from its own origin.
     */
    static long now(ChannelHandlerContext ctx) {
        Ticker ticker = ctx.executor().ticker();
        return ticker.initialNanoTime() + ticker.nanoTime();
    }
}
