package io.palisade.auth;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Objects;

/**
 * What {@link AuthService#authenticate} looks at. The headers are read before {@code authenticate} returns, so the
 * caller may go on using (and later release) its request.
 *
 * @param method        request method, upper case
 * @param path          request path without the query
 * @param query         the raw query string without {@code ?}; empty when there is none
 * @param headers       the client's request headers
 * @param clientAddress the client's address, for logs
 */
public record AuthRequest(String method, String path, String query, HttpHeaders headers, String clientAddress) {
    public AuthRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(clientAddress, "clientAddress");
    }
}
