package io.palisade.tls;

/** Hears how each TLS handshake of a listener ended, for metrics. Called on the connection's event loop. */
public interface HandshakeListener {
    /** A listener that counts nothing. */
    HandshakeListener NONE = new HandshakeListener() {
        @Override
        public void succeeded(String version, String protocol) {}

        @Override
        public void failed(String reason) {}
    };

    /**
     * @param version  the negotiated protocol version, e.g. {@code TLSv1.3}
     * @param protocol the application protocol that serves: the ALPN choice, {@code http/1.1} without one
     */
    void succeeded(String version, String protocol);

    /**
     * @param reason one of a few words (see docs/tls.md): {@code timeout}, {@code closed}, {@code not_tls},
     *               {@code protocol_version}, {@code no_shared_cipher}, {@code client_certificate},
     *               {@code bad_certificate}, {@code other}
     */
    void failed(String reason);
}
