package io.palisade.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.function.Consumer;

/**
 * The handlers of an HTTP/2 client connection, and the per-stream pipeline that lets the HTTP/1.1 request validator and
 * the proxy serve each stream as one exchange, with the same filter chain, limits, deadlines and outcomes.
 *
 * <h2>Connection pipeline</h2>
 * <pre>
 *  bytes ─▶ connection-limiter ─▶ h2-flush-consolidation ─▶ h2-stream-id-guard ─▶ h2-frame-codec ─▶
 *                                 (streams' flushes,          (HEADERS on closed    (RFC 9113, HPACK,
 *                                  one write)                  or skipped streams)   the limits below)
 *           ─▶ h2-connection-guard ─▶ h2-multiplex
 *              (control-frame flood,   (a child channel
 *               idle, counters)         per stream)
 * </pre>
 * <h2>Stream pipeline</h2>
 * <pre>
 *  frames ─▶ h2-connect ─▶ h2-stream-codec ─▶ h2-stream-adapter ─▶ [request-validator ─▶ proxy: by the caller]
 *            (RFC 8441     (frames ⇄ HttpRequest/   (x-http2-* headers, CR/LF/NUL,
 *             CONNECT)      HttpContent)             empty writes)
 * </pre>
 * The listener sends {@code SETTINGS_ENABLE_CONNECT_PROTOCOL = 1}: a WebSocket over an HTTP/2 stream (RFC 8441) is
 * one more exchange, which {@link Http2ExtendedConnect} presents to the proxy as a WebSocket upgrade.
 * A stream reads only when its proxy asks (no auto-read), so an unread request body holds back the client's window,
 * not the gateway's memory.
 *
 * <h2>Bounds (every HTTP/2 connection)</h2>
 * <ul>
 *   <li>{@code max_concurrent_streams}, {@code max_header_list_size}, {@code initial_window} from
 *       {@link Http2Settings}; a stream over the limit is refused with RST_STREAM(REFUSED_STREAM); a header block over
 *       the list size gets 431 or, far over it (an HPACK bomb), GOAWAY, without being decoded further.</li>
 *   <li>Rapid reset (CVE-2023-44487): more than {@link #MAX_RESETS} RST_STREAM frames from the client within
 *       {@link #RESET_WINDOW_SECONDS} seconds: GOAWAY {@code ENHANCE_YOUR_CALM}. The same bound on the resets the
 *       gateway is made to send (MadeYouReset).</li>
 *   <li>CONTINUATION flood (CVE-2024-27316): the header list size bounds what is buffered, and more than
 *       {@link #MAX_SMALL_CONTINUATIONS} small CONTINUATION frames in a row end the connection.</li>
 *   <li>Empty DATA frames: more than {@link #MAX_EMPTY_DATA_FRAMES} in a row end the connection.</li>
 *   <li>Control frames (PING, SETTINGS): at most {@link #MAX_QUEUED_CONTROL_FRAMES} acknowledgements queued for a
 *       client that does not read them, and at most {@link Http2ConnectionGuard#MAX_CONTROL_FRAMES} received per 10
 *       seconds: GOAWAY {@code ENHANCE_YOUR_CALM} beyond either.</li>
 *   <li>A connection with no open stream for {@code server.limits.client_idle} gets GOAWAY {@code NO_ERROR} and is
 *       closed.</li>
 * </ul>
 */
public final class Http2Handlers {
    /** The name of the HTTP/2 frame codec in a connection's pipeline. */
    public static final String FRAME_CODEC = "palisade-h2-frame-codec";
    /** The name of the flush consolidation before the frame codec: many streams' responses, one write. */
    public static final String FLUSH_CONSOLIDATION = "palisade-h2-flush-consolidation";
    /** The name of the stream id guard (HEADERS on closed or skipped streams), right before the frame codec. */
    public static final String STREAM_ID_GUARD = "palisade-h2-stream-id-guard";
    /** The name of the connection guard (floods, idle, counters) in a connection's pipeline. */
    public static final String CONNECTION_GUARD = "palisade-h2-connection-guard";
    /** The name of the stream multiplexer in a connection's pipeline. */
    public static final String MULTIPLEX = "palisade-h2-multiplex";
    /** The name of the h2c preface detector on a plain listener's connection. */
    public static final String PREFACE_DETECTOR = "palisade-h2c-preface";
    /** The name of the CONNECT handler in a stream's pipeline, before the codec (gone after the first HEADERS). */
    public static final String STREAM_CONNECT = "palisade-h2-connect";
    /** The name of the frame-to-HTTP codec in a stream's pipeline. */
    public static final String STREAM_CODEC = "palisade-h2-stream-codec";
    /** The name of the stream adapter in a stream's pipeline, right before the request validator. */
    public static final String STREAM_ADAPTER = "palisade-h2-stream-adapter";

    static final int MAX_RESETS = 200;
    static final int RESET_WINDOW_SECONDS = 30;
    static final int MAX_SMALL_CONTINUATIONS = 16;
    static final int MAX_EMPTY_DATA_FRAMES = 2;
    static final int MAX_QUEUED_CONTROL_FRAMES = 1000;
    /**
     * How long a closing connection (a drain) waits after its GOAWAY for the streams in flight; the gateway's
     * {@code server.drain_timeout} cuts it shorter. Netty's frame codec would otherwise close at once.
     */
    static final long GRACEFUL_CLOSE_MILLIS = 30_000;

    private static final ChannelHandler STREAM_FRAME_CODEC = new Http2StreamFrameToHttpObjectCodec(true, true);

    private Http2Handlers() {}

    /**
     * Adds the HTTP/2 connection handlers to the end of {@code pipeline} (after the connection limiter, and after TLS
     * where ALPN chose {@code h2}); the connection preface from the client is the first thing they expect to read.
     * Call it on an active channel (after the TLS handshake): the server's preface is sent when the codec is added.
     *
     * @param streamHandlers adds, to the end of each new stream's pipeline, the handlers that serve it as an HTTP/1.1
     *                       connection serving one request: the request validator and the proxy
     */
    public static void install(ChannelPipeline pipeline, Http2Settings settings, ServerLimits limits,
                               Http2Counters counters, Consumer<ChannelPipeline> streamHandlers) {
        pipeline.addLast(FRAME_CODEC, frameCodec(settings))
                .addBefore(FRAME_CODEC, STREAM_ID_GUARD, new Http2StreamIdGuard())
                // Every stream's response flushes the connection: without this, each is its own TLS record and its
                // own write system call (a profile of h2load's 100 streams per connection had an eighth of the CPU
                // in flushes). Flushes that arrive together, in a read of this connection or in the same turn of the
                // event loop (upstream answers read back to back), go out as one; a lone response waits one task.
                .addBefore(STREAM_ID_GUARD, FLUSH_CONSOLIDATION,
                        new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES,
                                true))
                .addLast(CONNECTION_GUARD, new Http2ConnectionGuard(settings, limits, counters))
                .addLast(MULTIPLEX, new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel stream) {
                        stream.config().setAutoRead(false);
                        stream.pipeline().addLast(STREAM_CONNECT, Http2ExtendedConnect.INSTANCE)
                                .addLast(STREAM_CODEC, STREAM_FRAME_CODEC)
                                .addLast(STREAM_ADAPTER, new Http2StreamAdapter());
                        streamHandlers.accept(stream.pipeline());
                    }
                }));
    }

    /**
     * A handler for the front of a plain listener's pipeline, before the HTTP/1.1 handlers: a connection that opens
     * with the HTTP/2 preface (h2c with prior knowledge) has those replaced by {@link #install}'s; any other goes on
     * as HTTP/1.1. Name it {@link #PREFACE_DETECTOR}.
     */
    public static ChannelHandler priorKnowledge(Http2Settings settings, ServerLimits limits, Http2Counters counters,
                                                Consumer<ChannelPipeline> streamHandlers) {
        return new H2cPrefaceDetector(p -> install(p, settings, limits, counters, streamHandlers));
    }

    static Http2FrameCodec frameCodec(Http2Settings settings) {
        io.netty.handler.codec.http2.Http2Settings initial = io.netty.handler.codec.http2.Http2Settings.defaultSettings()
                .maxConcurrentStreams(settings.maxConcurrentStreams())
                .maxHeaderListSize(settings.maxHeaderListSize())
                .initialWindowSize(settings.initialWindow())
                .connectProtocolEnabled(true);
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(initial)
                .gracefulShutdownTimeoutMillis(GRACEFUL_CLOSE_MILLIS)
                .validateHeaders(true)
                .validateRequiredPseudoHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
                .encoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
                .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATIONS)
                .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_EMPTY_DATA_FRAMES)
                .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
                .build();
    }
}
