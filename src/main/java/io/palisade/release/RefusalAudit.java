package io.palisade.release;

import io.palisade.admin.Caller;
import io.palisade.store.Audit;
import io.palisade.store.StateStore;
import io.palisade.time.Ticker;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Writes refused admin calls (401, 403, 413, 429 ...) to the audit, at most {@value #PER_MINUTE} a minute: a client
 * guessing tokens must show up in the audit without filling the store. What is skipped is counted and written with
 * the next row that gets through. Runs on the release thread only.
 */
final class RefusalAudit {
    static final int PER_MINUTE = 30;
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);
    private final StateStore store;
    private final Ticker ticker;
    private long windowStart;
    private int written;
    private long skipped;

    RefusalAudit(StateStore store, Ticker ticker) {
        this.store = store;
        this.ticker = ticker;
        this.windowStart = ticker.read();
    }

    void record(Instant at, Caller caller, String method, String path, int status, String reason) {
        long now = ticker.read();
        if (now - windowStart >= MINUTE) {
            windowStart = now;
            written = 0;
        }
        if (written >= PER_MINUTE) {
            skipped++;
            return;
        }
        written++;
        String detail = method + " " + path + " -> " + status + ": " + reason
                + (skipped > 0 ? " (" + skipped + " more refusals before this one were not written)" : "");
        skipped = 0;
        // A refused caller proved nothing: it is named by its address, whatever it claimed.
        String actor = (caller.authenticated() ? "token@" : "unauthenticated@") + caller.address();
        store.audit(new Audit(at, actor, "admin.refused", OptionalLong.empty(), detail));
    }
}
