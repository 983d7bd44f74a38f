package io.palisade.server;

import io.palisade.config.ConfigNode;
import java.util.Set;

/**
 * {@code listeners.<name>.http2}: HTTP/2 towards clients on that listener. On a plain listener the block turns on h2c
 * with prior knowledge (a client that opens with the HTTP/2 connection preface speaks HTTP/2, any other speaks
 * HTTP/1.1 as before), as nginx's {@code listen 80 http2} and Envoy's {@code codec_type: AUTO} do; {@code Upgrade: h2c}
 * is never honoured (RFC 9113 removed it). On a TLS listener ALPN chooses {@code h2}.
 *
 * <p>The protections against the known HTTP/2 attacks are not settings: they are on for every HTTP/2 connection, with
 * the bounds {@link Http2Handlers} documents.
 *
 * @param enabled              false keeps the listener HTTP/1.1 only while the block stays written
 * @param maxConcurrentStreams SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once; one more is
 *                             refused with RST_STREAM(REFUSED_STREAM)
 * @param maxHeaderListSize    SETTINGS_MAX_HEADER_LIST_SIZE: the decoded header block of a request (RFC 7541 sizes,
 *                             32 bytes per field on top of its name and value); larger is refused (431 when the
 *                             block arrived whole, else the connection closes with GOAWAY)
 * @param initialWindow        SETTINGS_INITIAL_WINDOW_SIZE for each stream, and the connection's own window: what a
 *                             client may send before the gateway has read it
 */
public record Http2Settings(boolean enabled, int maxConcurrentStreams, long maxHeaderListSize, int initialWindow) {
    /** What a written but empty {@code http2: {}} means. */
    public static final Http2Settings DEFAULTS = new Http2Settings(true, 100, 16 * 1024, 1024 * 1024);

    static final Set<String> KEYS = Set.of("enabled", "max_concurrent_streams", "max_header_list_size",
            "initial_window");

    public Http2Settings {
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("maxConcurrentStreams: " + maxConcurrentStreams + " (expected: >= 1)");
        }
        if (maxHeaderListSize < 1024) {
            throw new IllegalArgumentException("maxHeaderListSize: " + maxHeaderListSize + " (expected: >= 1024)");
        }
        if (initialWindow < 65_535) {
            throw new IllegalArgumentException("initialWindow: " + initialWindow + " (expected: >= 65535)");
        }
    }

    /**
     * Reads {@code listeners.<name>.http2}; mistakes are recorded on the node's errors.
     *
     * @return the settings, or null when the block is absent
     */
    public static Http2Settings read(ConfigNode node) {
        if (!node.isPresent()) {
            return null;
        }
        if (!node.isObject()) {
            node.invalid("a mapping like { max_concurrent_streams: 100, max_header_list_size: 16KiB,"
                    + " initial_window: 1MiB }");
            return null;
        }
        node.rejectUnknown(KEYS);
        Http2Settings d = DEFAULTS;
        return new Http2Settings(
                node.get("enabled").bool(d.enabled()),
                node.get("max_concurrent_streams").intValue(d.maxConcurrentStreams(), 1, 10_000),
                node.get("max_header_list_size").size(d.maxHeaderListSize(), 1024, 1024 * 1024),
                (int) node.get("initial_window").size(d.initialWindow(), 65_535, Integer.MAX_VALUE));
    }
}
