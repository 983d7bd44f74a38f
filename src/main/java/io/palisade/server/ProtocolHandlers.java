package io.palisade.server;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.palisade.config.ServerLimits;

/**
 * Factories for the protocol handlers of a client connection, and their pipeline names.
 */
public final class ProtocolHandlers {
    /** The name of the HTTP codec in the pipeline. */
    public static final String CODEC = "palisade-http-codec";

    /**
     * Room on the request line besides the target: a method (long custom ones included), two spaces and
     * {@code HTTP/1.1}. A target longer than the URI limit but inside this slack is still answered 414 by the
     * validator.
     */
    static final int REQUEST_LINE_ALLOWANCE = 64;

    private ProtocolHandlers() {}

    /**
     * The HTTP/1.1 codec: decodes requests (with the checks documented on {@link RequestDecoder}) and encodes
     * responses. One per channel.
     */
    public static ChannelHandler codec(ServerLimits limits) {
        return new ServerCodec(decoderConfig(limits));
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
