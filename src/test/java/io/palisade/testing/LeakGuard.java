package io.palisade.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs, before any test class loads Netty's buffers, a leak detector factory that records every leak report, so
 * {@link LeakCheckExtension} can fail the test class that leaked instead of a log line nobody reads.
 */
public final class LeakGuard implements LauncherSessionListener {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        install();
    }

    static synchronized void install() {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                ResourceLeakDetector<T> detector = new ResourceLeakDetector<>(resource, samplingInterval);
                detector.setLeakListener((type, records) -> LEAKS.add(type + "\n" + records));
                return detector;
            }
        });
    }

    /** For the self-test of the gate only. */
    public static List<String> drainForTest() {
        return drain();
    }

    /** Collects reports of objects already unreachable, then returns and clears them. */
    static List<String> drain() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(20); // lets the reference handler enqueue; not a wait for gateway behaviour
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            // Leak reports are produced when a new tracked buffer is created, so create some.
            for (int i = 0; i < 64; i++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                a.release();
                b.release();
            }
        }
        List<String> out = new ArrayList<>(LEAKS);
        LEAKS.clear();
        return out;
    }
}
