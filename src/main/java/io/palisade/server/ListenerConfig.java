package io.palisade.server;

import io.palisade.config.Address;
import java.util.Optional;

/**
 * A data-side listener, e.g. {@code listeners.http}.
 *
 * @param http2 its {@code http2:} block, when written (see {@link Http2Settings})
 */
public record ListenerConfig(String name, Address address, Optional<Http2Settings> http2) {
    /** A listener without an {@code http2:} block. */
    public ListenerConfig(String name, Address address) {
        this(name, address, Optional.empty());
    }

    /** Whether a plain (non-TLS) listener takes HTTP/2 with prior knowledge beside HTTP/1.1. */
    public boolean h2c() {
        return http2.isPresent() && http2.get().enabled();
    }
}
