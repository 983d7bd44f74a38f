package io.palisade.tls;

import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLEngine;

/** What tests outside this package may look at of a listener's contexts. */
public final class CertifiedKeyAccess {
    private CertifiedKeyAccess() {}

    /** The protocols a listener's engine enables, for one certificate and {@code min_version}. */
    public static List<String> enabledProtocols(Path cert, Path key, String minVersion) throws TlsFileException {
        ServerContexts contexts = ServerContexts.build(new TlsSettings(List.of(new TlsSettings.CertificateFiles(cert,
                key)), minVersion, List.of(TlsSettings.HTTP_1_1), TlsSettings.ClientAuth.NONE, Optional.empty()),
                false, Instant.now());
        SSLEngine engine = contexts.defaultContext().newEngine(ByteBufAllocator.DEFAULT);
        try {
            return List.of(engine.getEnabledProtocols());
        } finally {
            io.netty.util.ReferenceCountUtil.release(engine);
        }
    }
}
