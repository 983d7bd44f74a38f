package io.palisade.status;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How many {@code /api/v2/summary.json} answers the status listener's one event loop writes per second, over 4
 * keep-alive connections each pipelining 32 requests at a time, while the book changes every 100 ms (so renders swap
 * snapshots under the readers). Not part of the suite (the name does not end in Test); run it with
 * {@code -Dtest=StatusPageBench -Dleak.args=-Dio.netty.leakDetection.level=disabled} (the tests' paranoid leak
 * detection records every buffer and costs about nine tenths of the rate here). Prints a line.
 */
class StatusPageBench {
    private static final int CONNECTIONS = 4;
    private static final int DEPTH = 32;
    private static final Duration RUN = Duration.ofSeconds(10);

    @Test
    void summaryJson_answersPerSecond() throws Exception {
        try (PageFixture fixture = new PageFixture()) {
            Incident i = fixture.book.open(new NewIncident("Checkout errors", "Looking.", IncidentStatus.INVESTIGATING,
                    Optional.empty(), Map.of("orders", ComponentStatus.PARTIAL_OUTAGE), true), Actor.person("ana"));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong answers = new AtomicLong();
            byte[] request = "GET /api/v2/summary.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(DEPTH)
                    .getBytes(StandardCharsets.ISO_8859_1);
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < CONNECTIONS; c++) {
                clients.add(CompletableFuture.runAsync(() -> {
                    try (Socket s = new Socket("127.0.0.1", fixture.server.port())) {
                        OutputStream out = s.getOutputStream();
                        InputStream in = s.getInputStream();
                        byte[] buf = new byte[1 << 16];
                        StatusLines lines = new StatusLines();
                        while (!stop.get()) {
                            out.write(request);
                            int seen = 0;
                            while (seen < DEPTH) {
                                int n = in.read(buf);
                                if (n < 0) {
                                    return;
                                }
                                seen += lines.count(buf, n);
                            }
                            answers.addAndGet(DEPTH);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            int updates = 0;
            while (System.nanoTime() - start < RUN.toNanos()) {
                Thread.sleep(100);
                fixture.book.update(i.id(), IncidentEdit.message("Still looking (" + ++updates + ")."),
                        Actor.person("ana"));
            }
            stop.set(true);
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("status page: %.0f summary.json answers/s (%d in %.1f s, %d connections x %d"
                    + " pipelined), %d book changes, %d renders%n", answers.get() / seconds, answers.get(), seconds,
                    CONNECTIONS, DEPTH, updates, fixture.page.renders());
        }
    }

    /** Counts "HTTP/1.1 200" status lines in a stream read in chunks (a line may span two). */
    private static final class StatusLines {
        private static final byte[] LINE = "HTTP/1.1 200".getBytes(StandardCharsets.ISO_8859_1);
        private int matched;

        int count(byte[] buf, int n) {
            int found = 0;
            for (int i = 0; i < n; i++) {
                if (buf[i] == LINE[matched]) {
                    if (++matched == LINE.length) {
                        found++;
                        matched = 0;
                    }
                } else {
                    matched = buf[i] == LINE[0] ? 1 : 0;
                }
            }
            return found;
        }
    }
}
