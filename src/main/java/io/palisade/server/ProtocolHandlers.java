package io.palisade.server;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.palisade.config.ServerLimits;
import java.util.Optional;

/**
 * Factories for the protocol handlers of a client connection, and their pipeline names.
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
     * Room on the request line besides the target: a method (long custom ones included), two spaces and
     * {@code HTTP/1.1}. A target longer than the URI limit but inside this slack is still answered 414 by the
     * validator.
     */
    static final int REQUEST_LINE_ALLOWANCE = 64;

    private ProtocolHandlers() {}

    /** A connection limiter for one listener, capped at {@code maxConnections}; share it across that listener's channels. */
    public static ConnectionLimiter connectionLimiter(ServerLimits limits) {
        return ConnectionLimiter.create(limits.maxConnections());
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
     * The id of a request that went through the validator: the client's {@code X-Request-Id} when it matched
     * {@code [A-Za-z0-9._:-]{1,128}}, else one the validator generated and set on the request. Error responses built
     * with {@code ErrorResponses.build(kind, id, alloc)} should use it.
     */
    public static Optional<String> requestId(HttpMessage message) {
        String id = message.headers().get(RequestIds.HEADER);
        return id != null && RequestIds.isValid(id) ? Optional.of(id) : Optional.empty();
    }

    static HttpDecoderConfig decoderConfig(ServerLimits limits) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(saturatedInt(limits.maxUriBytes() + REQUEST_LINE_ALLOWANCE))
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
