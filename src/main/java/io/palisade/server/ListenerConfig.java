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
 */
public record ListenerConfig(String name, Address address, Optional<TlsSettings> tls, boolean proxyProtocol) {
    public ListenerConfig {
        Objects.requireNonNull(tls, "tls");
    }

    /** A listener without the PROXY protocol. */
    public ListenerConfig(String name, Address address, Optional<TlsSettings> tls) {
        this(name, address, tls, false);
    }

    /** A plain (cleartext) listener. */
    public ListenerConfig(String name, Address address) {
        this(name, address, Optional.empty(), false);
    }
}
