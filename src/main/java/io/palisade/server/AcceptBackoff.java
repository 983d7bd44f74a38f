package io.palisade.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a listening socket does when accepting fails, mostly at the file-descriptor limit ({@code EMFILE},
 * {@code ENFILE}): the pending connection stays in the backlog and the next accept fails the same way, so a socket
 * that keeps accepting spins and logs on every try. Netty's acceptor pauses the socket for 1 s per failure but still
 * passes each one to the end of the pipeline, which logs it with its stack trace. Here the socket stops accepting for
 * 100 ms, doubling on each failure in a row up to 1 s and back to 100 ms after an accept succeeds, and the failures are
 * counted and written at most once per 10 s. Connections already open are served throughout; once some close, the
 * backlog is accepted again. Put one {@link #newHandler} in each listening socket's pipeline
 * ({@code ServerBootstrap.handler}). On io_uring this holds only with single-shot accepts, which
 * {@link Transport#detect} selects.
 *
 * <pre>{@code
 * AcceptBackoff backoff = AcceptBackoff.create(ticker);
 * new ServerBootstrap().handler(backoff.newHandler("http"))...
 * // metrics: backoff.failures(), backoff.pauses()
 * }</pre>
 */
public final class AcceptBackoff {
    static final long FIRST_PAUSE_MILLIS = 100;
    static final long MAX_PAUSE_MILLIS = 1000;
    private static final Logger log = LoggerFactory.getLogger(AcceptBackoff.class);

    private final LongAdder failures = new LongAdder();
    private final LongAdder pauses = new LongAdder();
    private final RateLimitedLog lines;

    private AcceptBackoff(Ticker ticker) {
        this.lines = RateLimitedLog.every(Duration.ofSeconds(10), log, ticker);
    }

    /** @param ticker paces the log line (one per 10 s at most) */
    public static AcceptBackoff create(Ticker ticker) {
        return new AcceptBackoff(ticker);
    }

    /** A handler for one listening socket of {@code listener}. */
    public ChannelHandler newHandler(String listener) {
        return new Handler(listener);
    }

    /** Accepts that failed, on every listening socket, since start. */
    public long failures() {
        return failures.sum();
    }

    /** Times a listening socket stopped accepting for a moment after a failure, since start. */
    public long pauses() {
        return pauses.sum();
    }

    /** The pause after {@code inARow} failures with no accept between them. */
    static long pauseMillis(int inARow) {
        return inARow >= 5 ? MAX_PAUSE_MILLIS : Math.min(MAX_PAUSE_MILLIS, FIRST_PAUSE_MILLIS << (inARow - 1));
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private final String listener;
        /** Failures since the last accepted connection; touched only on the socket's event loop. */
        private int inARow;
        private boolean paused;

        Handler(String listener) {
            this.listener = listener;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object acceptedChannel) {
            inARow = 0;
            ctx.fireChannelRead(acceptedChannel);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.increment();
            if (paused) {
                return;
            }
            inARow = Math.min(inARow + 1, 30);
            long pause = pauseMillis(inARow);
            paused = true;
            pauses.increment();
            ctx.channel().config().setAutoRead(false);
            ctx.channel().eventLoop().schedule(() -> {
                paused = false;
                ctx.channel().config().setAutoRead(true);
            }, pause, TimeUnit.MILLISECONDS);
            // Not passed on: Netty's acceptor would pause the socket again and the pipeline's end would log each one.
            lines.warn("listener " + listener + ": accepting a connection failed (" + cause.getMessage()
                    + "); not accepting for " + pause + " ms, then again (at the open file limit, connections"
                    + " wait in the backlog until some close)", null);
        }
    }
}
