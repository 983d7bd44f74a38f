package io.palisade.server;

import io.palisade.config.Address;
import io.palisade.tls.TlsSettings;
import java.util.Objects;
import java.util.Optional;

/**
 * A data-side listener, e.g. {@code listeners.http}.
 *
 * @param tls           its {@code tls:} block: present, the listener speaks only TLS
 * @param proxyProtocol {@code proxy_protocol: true}: every connection starts with a PROXY protocol header
 *                      ({@link ProxyProtocol}) naming the client
 * @param http2         its {@code http2:} block, when written (see {@link Http2Settings})
 */
public record ListenerConfig(String name, Address address, Optional<TlsSettings> tls, boolean proxyProtocol,
                             Optional<Http2Settings> http2) {
    public ListenerConfig {
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(http2, "http2");
    }

    /** A listener without the PROXY protocol or an {@code http2:} block. */
    public ListenerConfig(String name, Address address, Optional<TlsSettings> tls) {
        this(name, address, tls, false, Optional.empty());
    }

    /** A plain (cleartext) listener. */
    public ListenerConfig(String name, Address address) {
        this(name, address, Optional.empty(), false, Optional.empty());
    }

    /** Whether a plain (non-TLS) listener takes HTTP/2 with prior knowledge beside HTTP/1.1. */
    public boolean h2c() {
        return tls.isEmpty() && http2.isPresent() && http2.get().enabled();
    }
}
