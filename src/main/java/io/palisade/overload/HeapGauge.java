package io.palisade.overload;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

/** The JVM's heap as the overload manager reads it. */
interface HeapGauge {
    /** Heap in use after the last collection, as a fraction of the heap's limit. */
    double usedAfterGc();

    /** Collections so far, all collectors together: unchanged means the reading above is as old as the last one. */
    long collections();

    /** Asks for a collection, so that {@link #usedAfterGc} is measured again. */
    void collect();

    static HeapGauge jvm() {
        return new Jvm();
    }

    final class Jvm implements HeapGauge {
        private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP)
                .toList();
        private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
        private final long max = Runtime.getRuntime().maxMemory();

        @Override
        public double usedAfterGc() {
            long afterGc = 0;
            for (MemoryPoolMXBean p : heapPools) {
                MemoryUsage u = p.getCollectionUsage();
                if (u != null) {
                    afterGc += u.getUsed();
                }
            }
            // What is in use now bounds what is live: it is lower than the last reading after a collection only
            // when a collection freed more since, and the pools' figures lag behind.
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
    }
}
