package io.palisade.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * One generation of a listener's TLS contexts, built whole from {@link TlsSettings} and the files as they are now:
 * one {@link SslContext} per certificate, the SNI mapping from host names to them (the first certificate for no or
 * an unknown name), and the client CA trust. A {@link ServerTls} swaps whole generations.
 *
 * @param warnings what serves but deserves an operator's look (an expired certificate), each naming its file
 */
record ServerContexts(TlsSettings settings, SslContext defaultContext, Mapping<String, SslContext> byName,
                      Optional<X509TrustManager> clientTrust, List<String> offeredProtocols, List<String> warnings) {

    SslContext select(String hostname) {
        return hostname == null ? defaultContext : byName.map(hostname);
    }

    /**
     * Reads every file and builds the contexts.
     *
     * @param h2Supported whether the HTTP/2 branch exists; without it {@code h2} is not offered in ALPN
     * @throws TlsFileException naming the first file that cannot serve
     */
    static ServerContexts build(TlsSettings settings, boolean h2Supported, Instant now) throws TlsFileException {
        List<CertifiedKey> keys = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < settings.certificates().size(); i++) {
            TlsSettings.CertificateFiles files = settings.certificates().get(i);
            try {
                CertifiedKey key = CertifiedKey.load(files);
                String problem = key.validityProblem(now);
                if (problem != null) {
                    warnings.add(files.certFile() + ": " + problem);
                }
                keys.add(key);
            } catch (CertifiedKey.FileProblem e) {
                throw new TlsFileException("certificates[" + i + "]." + e.field(), e.getMessage());
            }
        }
        Optional<X509TrustManager> trust = Optional.empty();
        if (settings.clientCaFile().isPresent()) {
            trust = Optional.of(trustManager(settings.clientCaFile().get(), "client_ca_file"));
        }
        List<String> offered = new ArrayList<>();
        for (String p : settings.alpn()) {
            if (!p.equals(TlsSettings.H2) || h2Supported) {
                offered.add(p);
            }
        }
        if (offered.isEmpty()) {
            offered.add(TlsSettings.HTTP_1_1);
        }
        try {
            SslContext first = null;
            DomainWildcardMappingBuilder<SslContext> mapping = null;
            java.util.Set<String> named = new java.util.HashSet<>();
            for (CertifiedKey key : keys) {
                SslContext ctx = serverContext(settings, key, trust, offered);
                if (first == null) {
                    first = ctx;
                    mapping = new DomainWildcardMappingBuilder<>(first);
                }
                for (String name : key.dnsNames()) {
                    // The first certificate naming a host wins, as the list's order says.
                    if (named.add(name)) {
                        mapping.add(name, ctx);
                    }
                }
            }
            return new ServerContexts(settings, first, mapping.build(), trust, List.copyOf(offered),
                    List.copyOf(warnings));
        } catch (SSLException e) {
            throw new TlsFileException("certificates[0].cert_file", settings.certificates().get(0).certFile()
                    + ": TLS refused it (" + e.getMessage() + ")");
        }
    }

    private static SslContext serverContext(TlsSettings settings, CertifiedKey key,
                                            Optional<X509TrustManager> trust, List<String> offered)
            throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(key.key(), key.chain().toArray(X509Certificate[]::new))
                .sslProvider(TlsProvider.provider())
                .protocols(TlsProvider.protocols(settings.minVersion()))
                .ciphers(TlsProvider.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .sessionCacheSize(20_480)
                .sessionTimeout(300)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, offered));
        switch (settings.clientAuth()) {
            case NONE -> b.clientAuth(ClientAuth.NONE);
            case REQUIRED -> b.clientAuth(ClientAuth.REQUIRE).trustManager(trust.orElseThrow());
            // Any certificate passes the handshake; TlsHandshakeHandler checks it against the CAs afterwards and
            // treats an untrusted one as none, so the route (401) decides rather than a failed handshake.
            case OPTIONAL -> b.clientAuth(ClientAuth.OPTIONAL).trustManager(new AcceptAny(trust.orElseThrow()));
        }
        return b.build();
    }

    static X509TrustManager trustManager(Path file, String key) throws TlsFileException {
        List<X509Certificate> cas;
        try {
            cas = Pem.certificates(file);
        } catch (Pem.Unusable e) {
            throw new TlsFileException(key, e.getMessage());
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsFileException(key, file + ": cannot use as CA certificates (" + e.getMessage() + ")");
        }
        throw new TlsFileException(key, file + ": cannot use as CA certificates");
    }

    /**
     * Lets every client certificate through the handshake while naming the real CAs in the certificate request, for
     * {@code client_auth: optional}.
     */
    private static final class AcceptAny extends X509ExtendedTrustManager {
        private final X509TrustManager cas;

        AcceptAny(X509TrustManager cas) {
            this.cas = cas;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // checked after the handshake
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            // checked after the handshake
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // checked after the handshake
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a server's trust manager checks no servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a server's trust manager checks no servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a server's trust manager checks no servers");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return cas.getAcceptedIssuers();
        }
    }
}
