package io.palisade.tls;

import io.palisade.config.ConfigNode;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code tls:} blocks: a listener's ({@code listeners.<name>.tls}, {@code admin.tls}) and a cluster's
 * ({@code clusters.<name>.tls}). The files are read and checked here too, like {@code admin.token_file}, so that a
 * missing, malformed or mismatched certificate refuses the config (validate, start, reload) with its key and file:
 * {@code listeners.https.tls.certificates[0].cert_file: certs/api.pem: cannot read (no such file)}. A relative path
 * is taken from the working directory.
 */
public final class TlsReader {
    /** The keys of a listener's {@code tls:} block. */
    public static final Set<String> SERVER_KEYS = Set.of("certificates", "min_version", "alpn", "client_auth",
            "client_ca_file");
    /** The keys of a cluster's {@code tls:} block. */
    public static final Set<String> UPSTREAM_KEYS = Set.of("ca_file", "server_name", "insecure_skip_verify");
    private static final List<String> PROTOCOLS = List.of(TlsSettings.H2, TlsSettings.HTTP_1_1);

    private TlsReader() {}

    /** A listener's {@code tls:} block; empty when absent (or too broken to use; the errors say why). */
    public static Optional<TlsSettings> server(ConfigNode node) {
        if (!node.isPresent()) {
            return Optional.empty();
        }
        if (!node.expectObject()) {
            return Optional.empty();
        }
        node.rejectUnknown(SERVER_KEYS);
        ConfigNode certsNode = node.get("certificates");
        List<TlsSettings.CertificateFiles> certificates = new ArrayList<>();
        if (!certsNode.isPresent()) {
            certsNode.error("missing (expected: a list like [ { cert_file: certs/api.pem, key_file: certs/api.key } ])");
        } else if (!certsNode.isArray() || certsNode.elements().isEmpty()) {
            certsNode.invalid("a list of one or more { cert_file, key_file }");
        }
        List<ConfigNode> certNodes = certsNode.isArray() ? certsNode.elements() : List.of();
        for (ConfigNode c : certNodes) {
            if (!c.expectObject()) {
                continue;
            }
            c.rejectUnknown(Set.of("cert_file", "key_file"));
            Optional<Path> cert = path(c.get("cert_file"), true);
            Optional<Path> key = path(c.get("key_file"), true);
            if (cert.isPresent() && key.isPresent()) {
                certificates.add(new TlsSettings.CertificateFiles(cert.get(), key.get()));
            }
        }
        // oneOf answers in lower case; the settings keep the JDK's spelling.
        String minVersion = node.get("min_version").oneOf("tlsv1.2", List.of("tlsv1.2", "tlsv1.3"))
                .equals("tlsv1.3") ? TlsSettings.TLS_1_3 : TlsSettings.TLS_1_2;
        List<String> alpn = alpn(node.get("alpn"));
        ConfigNode authNode = node.get("client_auth");
        TlsSettings.ClientAuth clientAuth = TlsSettings.ClientAuth.valueOf(authNode
                .oneOf("none", List.of("none", "optional", "required")).toUpperCase(Locale.ROOT));
        ConfigNode caNode = node.get("client_ca_file");
        Optional<Path> clientCa = path(caNode, false);
        if (clientAuth != TlsSettings.ClientAuth.NONE && !caNode.isPresent()) {
            caNode.error("missing (expected: the PEM file of the CAs client certificates must chain to, since"
                    + " client_auth is " + clientAuth.name().toLowerCase(Locale.ROOT) + ")");
        } else if (clientAuth == TlsSettings.ClientAuth.NONE && caNode.isPresent()) {
            caNode.invalid("absent, or client_auth optional or required; with none no certificate is asked for");
        }
        if (certificates.isEmpty() || certificates.size() != certNodes.size()) {
            return Optional.empty();
        }
        TlsSettings settings = new TlsSettings(certificates, minVersion, alpn, clientAuth, clientCa);
        try {
            // Builds what a listener would serve, then drops it: the same checks a start or reload makes.
            ServerContexts.build(settings, true, Clock.systemUTC().instant());
        } catch (TlsFileException e) {
            node.errors().add(node.path() + "." + e.key(), e.getMessage());
            return Optional.empty();
        }
        return Optional.of(settings);
    }

    /** A cluster's {@code tls:} block; empty when absent. */
    public static Optional<UpstreamTls> upstream(ConfigNode node) {
        if (!node.isPresent()) {
            return Optional.empty();
        }
        if (!node.expectObject()) {
            return Optional.empty();
        }
        node.rejectUnknown(UPSTREAM_KEYS);
        ConfigNode caNode = node.get("ca_file");
        Optional<Path> ca = path(caNode, false);
        ConfigNode nameNode = node.get("server_name");
        Optional<String> serverName = nameNode.optString();
        if (serverName.isPresent() && !serverName.get().matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")) {
            nameNode.invalid("a DNS name like billing.internal");
            serverName = Optional.empty();
        }
        ConfigNode skipNode = node.get("insecure_skip_verify");
        boolean skip = skipNode.bool(false);
        if (skip && ca.isPresent()) {
            skipNode.invalid("false when ca_file is set; a CA is only of use to verification");
        }
        if (ca.isPresent()) {
            try {
                ServerContexts.trustManager(ca.get(), "ca_file");
            } catch (TlsFileException e) {
                node.errors().add(node.path() + "." + e.key(), e.getMessage());
                return Optional.empty();
            }
        }
        return Optional.of(new UpstreamTls(ca, serverName, skip));
    }

    private static List<String> alpn(ConfigNode node) {
        if (!node.isPresent()) {
            return List.of(TlsSettings.HTTP_1_1);
        }
        List<String> out = new ArrayList<>();
        List<ConfigNode> items = node.isTextual() ? List.of(node) : node.elements();
        for (ConfigNode p : items) {
            String v = p.optString().orElse("");
            if (!PROTOCOLS.contains(v)) {
                p.invalid("one of " + String.join(", ", PROTOCOLS));
            } else if (out.contains(v)) {
                p.invalid("each protocol once");
            } else {
                out.add(v);
            }
        }
        if (items.isEmpty()) {
            node.invalid("a list like [h2, http/1.1]");
        }
        return out.isEmpty() ? List.of(TlsSettings.HTTP_1_1) : List.copyOf(out);
    }

    private static Optional<Path> path(ConfigNode node, boolean required) {
        if (!node.isPresent()) {
            if (required) {
                node.error("missing (expected: the path of a PEM file)");
            }
            return Optional.empty();
        }
        Optional<String> text = node.optString();
        if (text.isEmpty() || text.get().isBlank() || text.get().indexOf('\0') >= 0) {
            node.invalid("the path of a PEM file");
            return Optional.empty();
        }
        return Optional.of(Path.of(text.get()));
    }
}
