package io.palisade.tls;

import java.util.Objects;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A cluster's {@code tls:} block: connections to its endpoints are TLS, verified by default.
 *
 * @param caFile             the CAs the endpoints' certificates must chain to; absent: the JDK's default trust store
 * @param serverName         the name sent in SNI and checked against the certificate; absent: each endpoint's host
 * @param insecureSkipVerify no chain or name check at all (logged as a warning when the cluster is built)
 */
public record UpstreamTls(Optional<Path> caFile, Optional<String> serverName, boolean insecureSkipVerify) {
    public UpstreamTls {
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(serverName, "serverName");
    }
}
