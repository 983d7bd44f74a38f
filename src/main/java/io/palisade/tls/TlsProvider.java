package io.palisade.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BoringSSL through netty-tcnative when its native library loads, else the JDK's TLS: decided once per process and
 * logged once. Also the cipher suites every context allows: those of Mozilla's "intermediate" profile (forward
 * secrecy, AEAD only), minus the ones a provider lacks.
 */
public final class TlsProvider {
    private static final Logger LOG = LoggerFactory.getLogger(TlsProvider.class);

    /** Mozilla's intermediate profile (TLS 1.2 suites in its order, then TLS 1.3's). */
    static final List<String> CIPHERS = List.of(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    private static final SslProvider PROVIDER = choose();

    private TlsProvider() {}

    private static SslProvider choose() {
        if (Boolean.getBoolean("palisade.tls.jdk")) {
            LOG.info("TLS: the JDK provider (palisade.tls.jdk is set)");
            return SslProvider.JDK;
        }
        if (OpenSsl.isAvailable()) {
            LOG.info("TLS: {} through netty-tcnative", OpenSsl.versionString());
            return SslProvider.OPENSSL;
        }
        Throwable why = OpenSsl.unavailabilityCause();
        LOG.warn("TLS: netty-tcnative could not load ({}); the JDK provider serves instead (slower handshakes)",
                why == null ? "unknown cause" : why.toString());
        return SslProvider.JDK;
    }

    /** The provider every TLS context of this process uses. */
    public static SslProvider provider() {
        return PROVIDER;
    }

    /** The protocol versions from {@code minVersion} up, newest first. */
    static String[] protocols(String minVersion) {
        return TlsSettings.TLS_1_3.equals(minVersion) ? new String[] {TlsSettings.TLS_1_3}
                : new String[] {TlsSettings.TLS_1_3, TlsSettings.TLS_1_2};
    }
}
