package io.palisade.server;

import io.palisade.config.Address;
import io.palisade.tls.TlsSettings;
import java.util.Objects;
import java.util.Optional;

/**
 * A data-side listener, e.g. {@code listeners.http}.
 *
 * @param tls its {@code tls:} block: present, the listener speaks only TLS
 */
public record ListenerConfig(String name, Address address, Optional<TlsSettings> tls) {
    public ListenerConfig {
        Objects.requireNonNull(tls, "tls");
    }

    /** A plain (cleartext) listener. */
    public ListenerConfig(String name, Address address) {
        this(name, address, Optional.empty());
    }
}
