package io.palisade.tls;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the certificate, key and CA files of every {@link ServerTls} it watches, on its own thread
 * ({@code palisade-tls-watch}), and has a listener's contexts rebuilt when one changed: a renewed certificate (certbot,
 * cert-manager) serves new handshakes without a reload. Polling, not inotify: it sees files on network mounts and
 * Kubernetes' symlink swaps alike.
 */
public final class CertificateWatcher implements AutoCloseable {
    /** How often the files are looked at by default. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger(CertificateWatcher.class);

    private final List<ServerTls> watched = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService thread;

    private CertificateWatcher(Duration interval) {
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-tls-watch");
            t.setDaemon(true);
            return t;
        });
        long millis = Math.max(10, interval.toMillis());
        thread.scheduleWithFixedDelay(this::checkAll, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Starts polling every {@code interval}; nothing is watched until {@link #watch}. */
    public static CertificateWatcher start(Duration interval) {
        return new CertificateWatcher(interval);
    }

    public void watch(ServerTls tls) {
        watched.add(tls);
    }

    /** Looks at every watched listener's files now (the poll does this every interval). */
    public void checkAll() {
        for (ServerTls tls : watched) {
            try {
                tls.checkFiles();
            } catch (RuntimeException e) {
                LOG.warn("{}: checking certificate files failed", tls.configPath(), e);
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
