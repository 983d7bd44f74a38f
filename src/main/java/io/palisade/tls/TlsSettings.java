package io.palisade.tls;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A listener's {@code tls:} block ({@code listeners.<name>.tls}, {@code admin.tls}), read by {@link TlsReader}. Paths
 * only: the files are read when a {@link ServerTls} is built or reloads, so equal settings may still serve new
 * certificates after their files changed.
 *
 * @param certificates the first is the default, for clients that send no SNI or a name no certificate has
 * @param minVersion   {@code TLSv1.2} or {@code TLSv1.3}
 * @param alpn         protocols offered in ALPN, in the server's order of preference ({@code h2}, {@code http/1.1})
 * @param clientAuth   whether a client certificate is asked for
 * @param clientCaFile the CAs a client certificate must chain to; present whenever {@code clientAuth} is not NONE
 */
public record TlsSettings(List<CertificateFiles> certificates, String minVersion, List<String> alpn,
                          ClientAuth clientAuth, Optional<Path> clientCaFile) {
    public static final String TLS_1_2 = "TLSv1.2";
    public static final String TLS_1_3 = "TLSv1.3";
    public static final String H2 = "h2";
    public static final String HTTP_1_1 = "http/1.1";

    public TlsSettings {
        certificates = List.copyOf(certificates);
        alpn = List.copyOf(alpn);
        Objects.requireNonNull(minVersion, "minVersion");
        Objects.requireNonNull(clientAuth, "clientAuth");
        Objects.requireNonNull(clientCaFile, "clientCaFile");
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("certificates: none (expected: at least one)");
        }
    }

    /** One certificate chain and its key, PEM. */
    public record CertificateFiles(Path certFile, Path keyFile) {
        public CertificateFiles {
            Objects.requireNonNull(certFile, "certFile");
            Objects.requireNonNull(keyFile, "keyFile");
        }
    }

    /** {@code client_auth}. */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /**
         * One is asked for; a client without one, or with one that does not chain to {@code client_ca_file}, still
         * connects, as a caller without a certificate (routes that need {@code mtls} answer it 401).
         */
        OPTIONAL,
        /** The handshake fails without a certificate that chains to {@code client_ca_file}. */
        REQUIRED
    }

    /** Every file these settings read, for the change watcher. */
    List<Path> files() {
        List<Path> out = new java.util.ArrayList<>();
        for (CertificateFiles c : certificates) {
            out.add(c.certFile());
            out.add(c.keyFile());
        }
        clientCaFile.ifPresent(out::add);
        return List.copyOf(out);
    }
}
