package io.palisade.store;

import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.internal.ThreadExecutorMap;

/** Refuses a store call on a Netty event loop, where a blocking JDBC call would stall every connection it serves. */
final class EventLoopGuard {
    private EventLoopGuard() {
    }

    static void check() {
        // A thread running a Netty executor has it in ThreadExecutorMap, whoever made the thread; every thread
        // Netty's own factory makes (loops, Lettuce's threads, timers) is a FastThreadLocalThread: none may block.
        if (ThreadExecutorMap.currentExecutor() != null || Thread.currentThread() instanceof FastThreadLocalThread) {
            throw new IllegalStateException("the state store blocks on JDBC and must not run on a Netty thread ("
                    + Thread.currentThread().getName() + "); call it from the gateway's control thread");
        }
    }
}
