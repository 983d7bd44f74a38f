package io.palisade.auth;

import io.palisade.error.ErrorKind;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Client certificates ({@code auth.mtls}, provider id {@code mtls}): the TLS listener verified the certificate
 * against its {@code client_ca_file}; this provider maps it to a configured consumer by its subject CN or first DNS or
 * URI SAN. A request without a verified certificate carries no credentials for it (401 when nothing else allows); a
 * verified certificate that names no configured consumer is known to be someone the gateway does not serve: 403.
 */
final class MtlsProvider implements Provider {
    /** SAN type numbers of RFC 5280 as the JDK reports them. */
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;

    private final AuthSettings.Mtls settings;

    MtlsProvider(AuthSettings.Mtls settings) {
        this.settings = settings;
    }

    @Override
    public String id() {
        return AuthSettings.MTLS;
    }

    @Override
    public Object settings() {
        return settings;
    }

    @Override
    public Optional<Attempt> prepare(AuthRequest request, AuthView view) {
        if (request.clientCertificate().isEmpty()) {
            return Optional.empty();
        }
        AuthDecision d = decide(request.clientCertificate().get(), view);
        return Optional.of(() -> CompletableFuture.completedFuture(d));
    }

    AuthDecision decide(X509Certificate cert, AuthView view) {
        Optional<String> id = consumerId(cert, settings.consumerFrom());
        if (id.isEmpty()) {
            return new AuthDecision.Denied(ErrorKind.FORBIDDEN, "client certificate has no "
                    + settings.consumerFrom());
        }
        AuthSettings.Consumer consumer = view.settings().consumers().get(id.get());
        if (consumer == null) {
            return new AuthDecision.Denied(ErrorKind.FORBIDDEN, "client certificate names no consumer");
        }
        return new AuthDecision.Allowed(new Identity(consumer.id(), consumer.groups(), AuthSettings.MTLS), Map.of());
    }

    static Optional<String> consumerId(X509Certificate cert, String from) {
        return switch (from) {
            case "san_dns" -> san(cert, SAN_DNS);
            case "san_uri" -> san(cert, SAN_URI);
            default -> subjectCn(cert);
        };
    }

    private static Optional<String> san(X509Certificate cert, int type) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) {
                return Optional.empty();
            }
            for (List<?> san : sans) {
                if (san.size() >= 2 && Integer.valueOf(type).equals(san.get(0)) && san.get(1) instanceof String s) {
                    return Optional.of(s);
                }
            }
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<String> subjectCn(X509Certificate cert) {
        try {
            LdapName name = new LdapName(cert.getSubjectX500Principal().getName());
            for (Rdn rdn : name.getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return Optional.of(rdn.getValue().toString());
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    @Override
    public void contribute(AuthStats.Builder stats) {
        // decisions are counted by the service
    }
}
