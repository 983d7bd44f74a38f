package io.palisade.overload;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/** The JVM's heap as the overload manager reads it. */
interface HeapGauge extends AutoCloseable {
    /** Heap in use after the last collection, as a fraction of the heap's limit. */
    double usedAfterGc();

    /** Collections so far, all collectors together: unchanged means the reading above is as old as the last one. */
    long collections();

    /** Asks for a collection, so that {@link #usedAfterGc} is measured again. */
    void collect();

    @Override
    default void close() {}

    static HeapGauge jvm() {
        return new Jvm();
    }

    /**
     * Reads the heap after each collection from the collectors' notifications, young collections included: the memory
     * pools' own after-collection figures ({@code MemoryPoolMXBean.getCollectionUsage}) change for G1's old generation
     * only at mixed or full collections, so they lag behind a heap filling through promotions and jumped from a
     * quarter to four fifths in one step in HeapOverloadDrill.
     */
    final class Jvm implements HeapGauge {
        private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        private final Set<String> heapPoolNames = heapPools.stream().map(MemoryPoolMXBean::getName)
                .collect(Collectors.toUnmodifiableSet());
        private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
        private final List<NotificationEmitter> subscribed = new ArrayList<>();
        private final NotificationListener listener = this::onCollection;
        private final long max = Runtime.getRuntime().maxMemory();
        /** Heap bytes in use after the last collection a notification told of; -1 before the first. */
        private volatile long afterLastCollection = -1;

        Jvm() {
            for (GarbageCollectorMXBean c : collectors) {
                if (c instanceof NotificationEmitter e) {
                    e.addNotificationListener(listener, n -> GarbageCollectionNotificationInfo
                            .GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType()), null);
                    subscribed.add(e);
                }
            }
        }

        private void onCollection(Notification n, Object handback) {
            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                    (CompositeData) n.getUserData());
            long used = 0;
            for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                if (heapPoolNames.contains(pool.getKey())) {
                    used += pool.getValue().getUsed();
                }
            }
            afterLastCollection = used;
        }

        @Override
        public double usedAfterGc() {
            long afterGc = afterLastCollection;
            if (afterGc < 0) {
                afterGc = 0;
                for (MemoryPoolMXBean p : heapPools) {
                    MemoryUsage u = p.getCollectionUsage();
                    if (u != null) {
                        afterGc += u.getUsed();
                    }
                }
            }
            // What is in use now bounds what is live: lower than the last reading only when the heap emptied since.
            long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return (double) Math.min(afterGc, now) / max;
        }

        @Override
        public long collections() {
            long n = 0;
            for (GarbageCollectorMXBean c : collectors) {
                n += Math.max(0, c.getCollectionCount());
            }
            return n;
        }

        @Override
        public void collect() {
            System.gc();
        }

        @Override
        public void close() {
            for (NotificationEmitter e : subscribed) {
                try {
                    e.removeNotificationListener(listener);
                } catch (ListenerNotFoundException gone) {
                    // already removed: nothing to undo
                }
            }
        }
    }
}
