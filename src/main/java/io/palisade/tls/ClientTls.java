package io.palisade.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS to a cluster's endpoints: one client context per cluster, and an {@code SslHandler} per connection that sends
 * SNI and checks the certificate's chain (the cluster's {@code ca_file}, else the JDK's trust store) and its name
 * ({@code server_name}, else the endpoint's host, an IP address checked against IP SANs), unless
 * {@code insecure_skip_verify} turned both off.
 *
 * <p>Built on the control thread when a config version is prepared (it reads the CA file), used on event loops.
 */
public final class ClientTls {
    private static final Logger LOG = LoggerFactory.getLogger(ClientTls.class);
    /** The ALPN name of HTTP/2 over TLS, which an {@code h2} cluster's endpoints must select. */
    public static final String H2 = TlsSettings.H2;

    private final UpstreamTls settings;
    private final SslContext context;

    private ClientTls(UpstreamTls settings, SslContext context) {
        this.settings = settings;
        this.context = context;
    }

    /** {@link #create(String, UpstreamTls, boolean)} for HTTP/1.1. */
    public static ClientTls create(String what, UpstreamTls settings) throws TlsFileException {
        return create(what, settings, false);
    }

    /**
     * @param what names the cluster in the warning {@code insecure_skip_verify} earns ({@code clusters.billing})
     * @param h2   ALPN offers {@code h2} alone ({@code protocol: h2}); else {@code http/1.1} alone, so an upstream
     *             that would pick h2 does not. Whether the upstream selected it is the caller's to check
     *             ({@link #H2}), since a server without ALPN completes the handshake all the same
     * @throws TlsFileException when the CA file cannot serve
     */
    public static ClientTls create(String what, UpstreamTls settings, boolean h2) throws TlsFileException {
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(TlsProvider.provider())
                .protocols(TlsProvider.protocols(TlsSettings.TLS_1_2))
                .ciphers(TlsProvider.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        h2 ? TlsSettings.H2 : TlsSettings.HTTP_1_1))
                .endpointIdentificationAlgorithm(settings.insecureSkipVerify() ? null : "HTTPS");
        if (settings.insecureSkipVerify()) {
            LOG.warn("{}.tls.insecure_skip_verify: true: the upstream's certificate is not verified; anyone on the"
                    + " path can read and change this traffic", what);
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (settings.caFile().isPresent()) {
            b.trustManager(ServerContexts.trustManager(settings.caFile().get(), "ca_file"));
        }
        try {
            return new ClientTls(settings, b.build());
        } catch (SSLException e) {
            throw new TlsFileException("ca_file", "cannot build a TLS client (" + e.getMessage() + ")");
        }
    }

    public UpstreamTls settings() {
        return settings;
    }

    /**
     * A handler for one connection to {@code host:port}: SNI and the name check use {@code server_name} when set.
     * The handshake is bounded by {@code timeout} (the cluster's connect timeout).
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port, Duration timeout) {
        String name = settings.serverName().orElse(host);
        SslHandler handler = context.newHandler(alloc, name, port);
        SSLEngine engine = handler.engine();
        if (!settings.insecureSkipVerify() && settings.serverName().isPresent()) {
            // The name checked is the one SNI sent, not the address connected to.
            SSLParameters params = engine.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(params);
        }
        handler.setHandshakeTimeoutMillis(Math.max(1, timeout.toMillis()));
        return handler;
    }
}
