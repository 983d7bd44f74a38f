package io.palisade.tls;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * What the rest of the gateway may know about a connection's TLS: whether it is TLS at all (for
 * {@code X-Forwarded-Proto}), and the client certificate that was verified against the listener's
 * {@code client_ca_file} (for {@code mtls} auth). Kept on the connection's channel; an HTTP/2 stream's channel asks its
 * parent connection.
 */
public final class TlsConnection {
    static final AttributeKey<Boolean> SECURE = AttributeKey.valueOf("palisade.tls.secure");
    static final AttributeKey<X509Certificate> PEER = AttributeKey.valueOf("palisade.tls.peer");

    private TlsConnection() {}

    /** Whether {@code channel} (or the connection it is a stream of) is a TLS connection. */
    public static boolean isSecure(Channel channel) {
        for (Channel c = channel; c != null; c = c.parent()) {
            if (c.hasAttr(SECURE)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client's leaf certificate, once the handshake completed and the certificate chained to the listener's
     * {@code client_ca_file}; empty without one, with one that did not chain ({@code client_auth: optional}), or on a
     * plain connection.
     */
    public static Optional<X509Certificate> peerCertificate(Channel channel) {
        for (Channel c = channel; c != null; c = c.parent()) {
            if (c.hasAttr(PEER)) {
                return Optional.ofNullable(c.attr(PEER).get());
            }
        }
        return Optional.empty();
    }
}
