package io.palisade.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's TLS: its contexts (one per certificate, picked by SNI), kept current across config reloads and
 * certificate file changes without touching open connections. A new handshake reads the current generation once;
 * connections already up keep theirs.
 *
 * <pre>{@code
 * ServerTls tls = ServerTls.create("listeners.https.tls", settings, Optional.empty(), Clock.systemUTC());
 * // in a child channel initializer, first after the connection limiter:
 * tls.install(ch.pipeline(), headerReadTimeout, listener);
 * // on a config reload (control thread):
 * tls.reload(newSettings);          // throws TlsFileException; the old contexts keep serving
 * // every few seconds (CertificateWatcher):
 * tls.checkFiles();
 * }</pre>
 *
 * <p>Building contexts reads files and runs key checks: never on an event loop.
 */
public final class ServerTls {
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    private static final AtomicBoolean NO_H2_LOGGED = new AtomicBoolean();
    /** The pipeline name of the handler that awaits the ClientHello and becomes the {@code SslHandler}. */
    public static final String SNI = "palisade-tls";
    /** The pipeline name of the handshake deadline, metrics and ALPN branch. */
    public static final String HANDSHAKE = "palisade-tls-handshake";

    private final String configPath;
    private final Optional<Http2Branch> h2;
    private final Clock clock;
    private final Object lock = new Object();
    private final java.util.concurrent.atomic.AtomicLong fileReloads = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong fileReloadsRefused =
            new java.util.concurrent.atomic.AtomicLong();
    private volatile ServerContexts current;
    /** Guarded by lock. */
    private FileFingerprints fingerprints;

    private ServerTls(String configPath, Optional<Http2Branch> h2, Clock clock) {
        this.configPath = configPath;
        this.h2 = h2;
        this.clock = clock;
    }

    /**
     * Builds a listener's TLS from its settings and files.
     *
     * @param configPath where the block is in the config ({@code listeners.https.tls}), for messages
     * @param h2         the HTTP/2 branch of ALPN, if this build has one
     * @throws TlsFileException naming the first file that cannot serve
     */
    public static ServerTls create(String configPath, TlsSettings settings, Optional<Http2Branch> h2, Clock clock)
            throws TlsFileException {
        ServerTls tls = new ServerTls(configPath, h2, clock);
        tls.reload(settings);
        return tls;
    }

    /**
     * Serves {@code settings} from now on, with the files as they are now (a config reload). When a file cannot
     * serve, nothing changes and the exception names it.
     */
    public void reload(TlsSettings settings) throws TlsFileException {
        Objects.requireNonNull(settings, "settings");
        synchronized (lock) {
            // Fingerprints first: a file changed while the contexts are built is seen again by the next check.
            FileFingerprints seen = FileFingerprints.of(settings.files());
            ServerContexts next = ServerContexts.build(settings, h2.isPresent(), clock.instant());
            if (settings.alpn().contains(TlsSettings.H2) && h2.isEmpty() && NO_H2_LOGGED.compareAndSet(false, true)) {
                LOG.info("{}.alpn lists h2, but no HTTP/2 handlers were given for it: ALPN offers http/1.1 only",
                        configPath);
            }
            for (String warning : next.warnings()) {
                LOG.warn("{}: {} (served anyway; clients will refuse it)", configPath, warning);
            }
            current = next;
            fingerprints = seen;
        }
    }

    /**
     * Rebuilds the contexts when a certificate, key or CA file changed since they were built (size, modification
     * time or content). A file that cannot serve is logged, naming it, and the contexts serving now stay.
     *
     * @return true when new contexts serve
     */
    public boolean checkFiles() {
        synchronized (lock) {
            TlsSettings settings = current.settings();
            FileFingerprints now = FileFingerprints.of(settings.files());
            if (now.equals(fingerprints)) {
                return false;
            }
            try {
                reload(settings);
                fileReloads.incrementAndGet();
                LOG.info("{}: certificate files changed, new handshakes use them", configPath);
                return true;
            } catch (TlsFileException e) {
                // Not retried until a file changes again: one warning per change, not one per poll.
                fingerprints = now;
                fileReloadsRefused.incrementAndGet();
                LOG.warn("{}: certificate files changed but cannot serve, the previous ones stay: {}", configPath,
                        e.describe(configPath));
                return false;
            }
        }
    }

    /** File changes that new contexts were built from. */
    public long fileReloads() {
        return fileReloads.get();
    }

    /** File changes that could not serve (logged; the previous contexts stayed). */
    public long fileReloadsRefused() {
        return fileReloadsRefused.get();
    }

    /** The settings serving now. */
    public TlsSettings settings() {
        return current.settings();
    }

    /** The protocols ALPN offers now, in order. */
    public List<String> offeredProtocols() {
        return current.offeredProtocols();
    }

    String configPath() {
        return configPath;
    }

    /**
     * Adds the TLS handlers to the end of {@code pipeline}: the ClientHello reader that picks a certificate by SNI
     * and becomes the {@code SslHandler}, then the handshake handler ({@code handshakeTimeout} bounds the whole
     * handshake from the accept, {@code listener} hears how it ended, and an {@code h2} choice in ALPN hands the
     * connection to the HTTP/2 branch). The HTTP/1.1 handlers go after them.
     */
    public void install(ChannelPipeline pipeline, Duration handshakeTimeout, HandshakeListener listener) {
        ServerContexts contexts = current;
        pipeline.channel().attr(TlsConnection.SECURE).set(Boolean.TRUE);
        pipeline.addLast(SNI, new Sni(contexts))
                .addLast(HANDSHAKE, new TlsHandshakeHandler(handshakeTimeout, listener, contexts.settings(),
                        contexts.clientTrust(), h2));
    }

    /**
     * Reads the certificate by the ClientHello's server name from the generation current when the connection was
     * accepted. The SslHandler's own handshake timeout is off: {@link TlsHandshakeHandler} bounds the whole
     * handshake, ClientHello included, and counts it.
     */
    private static final class Sni extends SniHandler {
        Sni(ServerContexts contexts) {
            super(contexts::select, 0L);
        }

        @Override
        protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
            SslHandler handler = super.newSslHandler(context, allocator);
            handler.setHandshakeTimeoutMillis(0);
            return handler;
        }
    }

    /** Size, modification time and SHA-256 of each file; a file that cannot be read has a fingerprint of its own. */
    record FileFingerprints(Map<Path, String> byFile) {
        static FileFingerprints of(List<Path> files) {
            Map<Path, String> out = new java.util.LinkedHashMap<>();
            for (Path f : files) {
                out.put(f, fingerprint(f));
            }
            return new FileFingerprints(Map.copyOf(out));
        }

        private static String fingerprint(Path f) {
            try {
                long size = java.nio.file.Files.size(f);
                long modified = java.nio.file.Files.getLastModifiedTime(f).toMillis();
                byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Pem.read(f));
                return size + "/" + modified + "/" + java.util.HexFormat.of().formatHex(digest);
            } catch (java.io.IOException | Pem.Unusable | java.security.NoSuchAlgorithmException
                     | SecurityException e) {
                return "unreadable: " + e.getMessage();
            }
        }
    }
}
