package io.palisade.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.palisade.server.ServerConfig.RequestIdPolicy;
import io.palisade.error.ErrorKind;
import io.palisade.outcome.OutcomePublisher;
import io.palisade.overload.OverloadState;
import io.palisade.time.Ticker;
import java.util.Optional;

/**
 * The protocol handlers of a client connection (codec, framing checks, limits, timeouts), their pipeline names, and
 * the contract they keep with the handler after them, the proxy.
 *
 * <h2>Pipeline</h2>
 * In this order, then the proxy:
 * <pre>{@code
 * ConnectionLimiter limiter = ProtocolHandlers.connectionLimiter(limits);   // one per listener, shared
 * // in the child channel initializer:
 * ProtocolHandlers.install(ch.pipeline(), limits, limiter);
 * ch.pipeline().addLast("proxy", new ProxyHandler(...));
 * }</pre>
 * <ol>
 *   <li>{@link #CONNECTION_LIMITER}: closes connections over {@code maxConnections}, or over
 *       {@code maxConnectionsPerIp} from one client address, on accept.</li>
 *   <li>{@link #CODEC}: HTTP/1.1 decoding with the extra checks listed on {@link RequestDecoder}; response encoding
 *       (no body on responses to {@code HEAD}).</li>
 *   <li>{@link #HEADER_READ_TIMEOUT}: 408 when a request head takes longer than {@code headerReadTimeout} from its
 *       first byte; silent close after {@code clientIdle} with no request in progress.</li>
 *   <li>{@link #REQUEST_VALIDATOR}: answers every malformed, ambiguous or oversized request itself, and keeps the
 *       contract below.</li>
 * </ol>
 *
 * <h2>What the proxy receives</h2>
 * For each request, strictly one after the other (a pipelined request is held, with reads paused, until the response
 * to the previous one has been written in full):
 * <ul>
 *   <li>one {@code HttpRequest}, decoded without error, with a valid single {@code Host} (optional on HTTP/1.0), an
 *       origin-form target, an {@code http}/{@code https} absolute-form target (passed as is: per RFC 9112 §3.2.2 its
 *       authority, not {@code Host}, names the target), or {@code OPTIONS *}; framing either a
 *       {@code Content-Length <= maxBody} or {@code Transfer-Encoding: chunked} alone (HTTP/1.1 only); no
 *       {@code Expect} other than {@code 100-continue}, which reaches the proxy only on HTTP/1.1 and is the proxy's to
 *       answer (send {@code 100 Continue} when ready to read the body, or a final status instead); an
 *       {@code X-Request-Id} ({@link #requestId}): the client's, or, when it sent none valid or the validator
 *       generates every id, the validator's; and the validator's framing decision ({@link RequestFraming#of}: body
 *       length or chunked, keep-alive, version, whether a {@code 100 Continue} is awaited), which the proxy reads
 *       instead of deciding it again from the headers.</li>
 *   <li>then zero or more {@code HttpContent}, at most {@code maxBody} bytes in total;</li>
 *   <li>then either a {@code LastHttpContent} (with any trailers), or instead a {@link RequestAborted} user event when
 *       the body turned out malformed or too large, or the client closed mid-body ({@code TRUNCATED_BODY}, just before
 *       {@code channelInactive}). No message with a failed {@code DecoderResult} ever reaches the proxy.</li>
 * </ul>
 * {@code CONNECT} is answered 405 with {@code Allow} (the gateway opens no TCP tunnels); the connection stays open. On an
 * HTTP/2 stream, an RFC 8441 extended CONNECT for {@code websocket} reaches the proxy as the WebSocket upgrade an
 * HTTP/1.1 client would send ({@link Http2Handlers}).
 *
 * <h2>What the proxy writes</h2>
 * Exactly one final response per request it received (plus any {@code 1xx}), through its context or the channel:
 * <ul>
 *   <li>A response written before the request's body ended is fine: the validator reads and drops the rest of that
 *       body (still bounded by {@code maxBody}) and the connection can be reused.</li>
 *   <li>The validator sets {@code Connection: close} and closes after the response when the request was not
 *       keep-alive or the connection must close; for an HTTP/1.0 client it adds {@code Connection: keep-alive}, or,
 *       for a response without {@code Content-Length}, drops {@code Transfer-Encoding} and delimits the body by
 *       closing.</li>
 *   <li>After a {@link RequestAborted}: if the proxy had not written a response head, the validator answers with the
 *       event's kind right after the event (the proxy may instead answer during the event); if it had, the validator
 *       lets it finish and then closes. A response written for a request that already has one (for instance after
 *       the validator answered) fails its promise with {@code GatewayException} and is released; on a void promise
 *       that failure reaches {@code exceptionCaught}, as any failed write on a void promise does.</li>
 *   <li>Nothing needs the promise of a keep-alive response's writes: they may use the channel's void promise, and
 *       the handlers pass it on without allocating one.</li>
 * </ul>
 * Whenever a protocol error closes the connection, the output is shut down after the response and the input drained
 * for a moment before the close, so the client reads the error instead of a reset.
 *
 * <h2>Outcomes</h2>
 * Each request ends in exactly one {@link io.palisade.outcome.Outcome}: the validator publishes those of the requests
 * it answered without passing them on; the proxy publishes those of every request it received, aborted ones
 * included (it answers a {@link RequestAborted} itself when it can, so the answer is its to account for).
 */
public final class ProtocolHandlers {
    /** The name of the connection limiter in the pipeline. */
    public static final String CONNECTION_LIMITER = "palisade-connection-limiter";
    /** The name of the HTTP codec in the pipeline. */
    public static final String CODEC = "palisade-http-codec";
    /** The name of the header read and idle timeout handler in the pipeline. */
    public static final String HEADER_READ_TIMEOUT = "palisade-header-read-timeout";
    /** The name of the request validator in the pipeline. */
    public static final String REQUEST_VALIDATOR = "palisade-request-validator";
    /**
     * The user event fired at every client connection's pipeline when a graceful drain starts: an HTTP/1.1
     * connection closes once idle, an HTTP/2 connection sends GOAWAY and closes once its streams are done.
     */
    public static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    /**
     * Room on the request line besides the target: a method (long custom ones included), two spaces and
     * {@code HTTP/1.1}. A target longer than the URI limit but inside this slack is still answered 414 by the
     * validator.
     */
    static final int REQUEST_LINE_ALLOWANCE = 64;

    private ProtocolHandlers() {}

    /**
     * Adds the protocol handlers, under their names, to the end of {@code pipeline}; the proxy goes after them.
     *
     * @param limiter the listener's shared limiter (see {@link #connectionLimiter})
     */
    public static void install(ChannelPipeline pipeline, ServerLimits limits, ConnectionLimiter limiter) {
        pipeline.addLast(CONNECTION_LIMITER, limiter)
                .addLast(CODEC, codec(limits))
                .addLast(HEADER_READ_TIMEOUT, headerReadTimeout(limits))
                .addLast(REQUEST_VALIDATOR, requestValidator(limits));
    }

    /** A connection limiter for one listener, capped at {@code maxConnections}; share it across its channels. */
    public static ConnectionLimiter connectionLimiter(ServerLimits limits) {
        return ConnectionLimiter.create(limits.maxConnections());
    }

    /**
     * The connection limiter of {@code listener}: {@code maxConnections} in all and {@code maxConnectionsPerIp} per
     * client address; share it across the listener's channels.
     */
    public static ConnectionLimiter connectionLimiter(ServerLimits limits, ListenerConfig listener, Ticker ticker) {
        return ConnectionLimiter.create(listener.name(), limits.maxConnections(), limits.maxConnectionsPerIp(),
                listener.proxyProtocol(), ticker);
    }

    /**
     * The HTTP/1.1 codec: decodes requests (with the checks documented on {@link RequestDecoder}) and encodes
     * responses. One per channel.
     */
    public static ChannelHandler codec(ServerLimits limits) {
        return new ServerCodec(decoderConfig(limits));
    }

    /**
     * The header read deadline ({@code headerReadTimeout}, answered 408) and the idle keep-alive close
     * ({@code clientIdle}, silent): right after the codec. One per channel.
     */
    public static ChannelHandler headerReadTimeout(ServerLimits limits) {
        return new HeaderReadTimeoutHandler(limits);
    }

    /** The request validator: right after the codec (and the header read timeout), right before the proxy. */
    public static ChannelHandler requestValidator(ServerLimits limits) {
        return new RequestValidator(limits);
    }

    /**
     * A request validator that publishes to {@code outcomes} one {@link io.palisade.outcome.Outcome} for every request
     * it answers itself before the proxy saw it (route {@code unmatched}, its {@code ErrorKind}, the bytes of the error
     * body; for access logs and metrics). The proxy publishes the outcomes of the requests it received.
     *
     * @param configVersion the version of the config whose {@code limits} these are, which the outcomes name
     */
    public static ChannelHandler requestValidator(ServerLimits limits, String configVersion,
                                                  OutcomePublisher outcomes) {
        return new RequestValidator(limits, configVersion, outcomes);
    }

    /**
     * {@link #requestValidator(ServerLimits, String, OutcomePublisher)} that, with {@link RequestIdPolicy#GENERATE},
     * replaces every client's {@code X-Request-Id} with one of its own instead of keeping a valid one.
     */
    public static ChannelHandler requestValidator(ServerLimits limits, RequestIdPolicy requestIds,
                                                  String configVersion, OutcomePublisher outcomes) {
        return new RequestValidator(limits, requestIds, configVersion, outcomes);
    }

    /**
     * {@link #requestValidator(ServerLimits, RequestIdPolicy, String, OutcomePublisher)} that asks {@code overload}
     * about every valid request: shed ones are answered 503 {@code overloaded} (with {@code Retry-After}) before the
     * proxy sees them; while keep-alive is stopped, HTTP/1.1 responses close their connection.
     */
    public static ChannelHandler requestValidator(ServerLimits limits, RequestIdPolicy requestIds,
                                                  String configVersion, OutcomePublisher outcomes,
                                                  OverloadState overload) {
        return new RequestValidator(limits, requestIds, configVersion, outcomes, overload);
    }

    /**
     * The id of a request that went through the validator: the client's {@code X-Request-Id} when it matched
     * {@code [A-Za-z0-9._:-]{1,128}} (and the validator keeps client ids), else one the validator generated and set
     * on the request. Error responses built with {@code ErrorResponses.build(kind, id, alloc)} should use it.
     */
    public static Optional<String> requestId(HttpMessage message) {
        return Optional.ofNullable(requestId(message, null));
    }

    /** {@link #requestId(HttpMessage)} without the {@code Optional}, for per-request paths: the id, or {@code absent}. */
    public static String requestId(HttpMessage message, String absent) {
        String id = message.headers().get(RequestIds.HEADER);
        return id != null && RequestIds.isValid(id) ? id : absent;
    }

    static HttpDecoderConfig decoderConfig(ServerLimits limits) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(saturatedInt(Math.min(limits.maxUriBytes(), Integer.MAX_VALUE)
                        + REQUEST_LINE_ALLOWANCE))
                .setMaxHeaderSize(saturatedInt(limits.maxHeaderBytes()))
                .setStrictLineParsing(true)
                .setAllowDuplicateContentLengths(false)
                .setChunkedSupported(true)
                .setValidateHeaders(true)
                // After setValidateHeaders, which would replace it; RequestHeaders validates like Netty's default.
                .setHeadersFactory(RequestHeaders.FACTORY);
    }

    private static int saturatedInt(long v) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, v));
    }
}
