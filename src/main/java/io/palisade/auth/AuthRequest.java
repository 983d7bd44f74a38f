package io.palisade.auth;

import io.netty.handler.codec.http.HttpHeaders;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link AuthService#authenticate} looks at. The headers are read before {@code authenticate} returns, so the
 * caller may go on using (and later release) its request.
 *
 * @param method        request method, upper case
 * @param path          request path without the query
 * @param query         the raw query string without {@code ?}; empty when there is none
 * @param headers       the client's request headers
 * @param clientAddress the client's address, for logs
 * @param clientCertificate the client's TLS certificate, verified against the listener's client CAs; empty without
 *                      one (a plain connection, none sent, or one that did not chain)
 */
public record AuthRequest(String method, String path, String query, HttpHeaders headers, String clientAddress,
                          Optional<X509Certificate> clientCertificate) {
    public AuthRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(clientAddress, "clientAddress");
        Objects.requireNonNull(clientCertificate, "clientCertificate");
    }

    /** A request without a client certificate. */
    public AuthRequest(String method, String path, String query, HttpHeaders headers, String clientAddress) {
        this(method, path, query, headers, clientAddress, Optional.empty());
    }
}
