import com.sun.management.ThreadMXBean;
import io.palisade.gateway.Gateway;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Heap allocated by the gateway's event loops per proxied request, for the plain proxy path of bench/run's
 * {@code small} scenario: {@code GET /small} on keep-alive connections, a 100-byte answer from a loopback backend.
 *
 * <p>Starts the gateway in this JVM ({@code Gateway.start}, 2 event loops, access log off, the bench's cluster
 * limits), a blocking backend and blocking clients (their threads are not counted), warms up so that C2 has compiled
 * (and escape-analysed) the hot path, then reads {@code ThreadMXBean.getThreadAllocatedBytes} of every
 * {@code palisade-io-*} thread before and after each measured round. Allocation, unlike time, does not depend on what
 * else the machine runs; with escape analysis off (bench/alloc/run's default) the figure is the same to the byte from
 * one launch to the next.
 *
 * <p>With async-profiler on the class path ({@code one.profiler.AsyncProfiler}; bench/alloc/run adds it when it is in
 * the local Maven repository) and {@code -XX:-UseTLAB}, the last round is also recorded allocation by allocation
 * (every object leaves a TLAB-less allocation event), and the objects per request by class are printed.
 *
 * <p>Run through bench/alloc/run; arguments: {@code [connections] [warm-up requests] [requests per round] [rounds]}.
 */
public final class AllocPerRequest {
    private static final byte[] RESPONSE;

    static {
        byte[] body = new byte[100];
        java.util.Arrays.fill(body, (byte) 's');
        body[99] = '\n';
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        RESPONSE = new byte[head.length + body.length];
        System.arraycopy(head, 0, RESPONSE, 0, head.length);
        System.arraycopy(body, 0, RESPONSE, head.length, body.length);
    }

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        long warmup = args.length > 1 ? Long.parseLong(args[1]) : 300_000;
        long perRound = args.length > 2 ? Long.parseLong(args[2]) : 100_000;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;

        ServerSocket backend = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> acceptLoop(backend), "backend-accept");
        acceptor.setDaemon(true);
        acceptor.start();

        // bench/run's gateway has no access log; BENCH_ALLOC_ACCESS_LOG=FILE (e.g. /dev/null) measures with one.
        String accessLog = System.getenv("BENCH_ALLOC_ACCESS_LOG");
        Path config = Files.createTempFile("palisade-alloc", ".yaml");
        Files.writeString(config, """
                listeners: { http: { address: 127.0.0.1:0 } }
                admin: { address: 127.0.0.1:0 }
                access_log: %s
                server: { worker_threads: 2 }
                clusters:
                  backend: { endpoints: [ "127.0.0.1:%d" ], limits: { max_connections: 100000, max_pending: 100000, max_requests: 100000 } }
                routes:
                  - match: { path_prefix: / }
                    cluster: backend
                """.formatted(accessLog == null ? "{ enabled: false }" : "{ enabled: true, target: " + accessLog + " }",
                backend.getLocalPort()));
        Gateway gateway = Gateway.start(config);
        int port = gateway.port("http");
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try {
            run(port, connections, warmup);
            System.out.printf("connections %d, warm-up %d requests, %d rounds of %d, access log %s%n", connections,
                    warmup, rounds, perRound, accessLog == null ? "off" : accessLog);
            Object profiler = profiler();
            for (int r = 1; r <= rounds; r++) {
                boolean profiled = profiler != null && r == rounds;
                if (profiled) {
                    profile(profiler, "start,event=alloc,alloc=1,threads");
                }
                long before = loopBytes(threads);
                run(port, connections, perRound);
                long after = loopBytes(threads);
                if (profiled) {
                    profile(profiler, "stop");
                }
                System.out.printf("round %d: %.1f bytes/request on the event loops%n", r,
                        (after - before) / (double) perRound);
                if (profiled) {
                    printObjects(profiler, perRound);
                }
            }
        } finally {
            gateway.close();
            backend.close();
            Files.deleteIfExists(config);
        }
    }

    private static long loopBytes(ThreadMXBean mx) {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("palisade-io")) {
                sum += mx.getThreadAllocatedBytes(t.threadId());
            }
        }
        return sum;
    }

    // ---- clients

    private static void run(int port, int connections, long total) throws InterruptedException {
        AtomicLong left = new AtomicLong(total);
        CountDownLatch done = new CountDownLatch(connections);
        List<Throwable> failures = new ArrayList<>();
        byte[] request = ("GET /small HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < connections; i++) {
            Thread t = new Thread(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[8192];
                    while (left.getAndDecrement() > 0) {
                        out.write(request);
                        readResponse(in, buf);
                    }
                } catch (IOException | RuntimeException e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                } finally {
                    done.countDown();
                }
            }, "client-" + i);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " clients failed", failures.get(0));
        }
    }

    /** Reads one response with a Content-Length body; expects a 200. */
    private static void readResponse(InputStream in, byte[] buf) throws IOException {
        int n = 0;
        int headEnd = -1;
        while (headEnd < 0) {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                throw new IOException("connection closed after " + n + " bytes");
            }
            n += r;
            headEnd = indexOfBlankLine(buf, n);
        }
        String head = new String(buf, 0, headEnd, StandardCharsets.ISO_8859_1);
        if (!head.startsWith("HTTP/1.1 200 ")) {
            throw new IOException("unexpected response: " + head);
        }
        int length = contentLength(head);
        int have = n - headEnd - 4;
        while (have < length) {
            int r = in.read(buf, 0, Math.min(buf.length, length - have));
            if (r < 0) {
                throw new IOException("body cut short");
            }
            have += r;
        }
    }

    private static int indexOfBlankLine(byte[] b, int n) {
        for (int i = 0; i + 3 < n; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        throw new IllegalStateException("no Content-Length in " + head);
    }

    // ---- backend: one blocking thread per upstream connection, a fixed 100-byte answer to every request head

    private static void acceptLoop(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16384];
            int n = 0;
            while (true) {
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    return;
                }
                n += r;
                int end;
                // Body-less GETs only: every head ends a request.
                while ((end = indexOfBlankLine(buf, n)) >= 0) {
                    out.write(RESPONSE);
                    int rest = n - end - 4;
                    System.arraycopy(buf, end + 4, buf, 0, rest);
                    n = rest;
                }
                if (n == buf.length) {
                    throw new IOException("request head too large");
                }
            }
        } catch (IOException e) {
            // the gateway closed the connection
        }
    }

    // ---- optional: async-profiler for objects per request by class

    private static Object profiler() {
        try {
            Class<?> c = Class.forName("one.profiler.AsyncProfiler");
            String lib = System.getProperty("asyncProfiler.lib");
            return lib == null ? null : c.getMethod("getInstance", String.class).invoke(null, lib);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    private static String profile(Object profiler, String command) throws ReflectiveOperationException {
        Method execute = profiler.getClass().getMethod("execute", String.class);
        return (String) execute.invoke(profiler, command);
    }

    /**
     * Prints, for the event-loop threads, the objects allocated per request by class (counts from the collapsed
     * samples: with {@code -XX:-UseTLAB} and {@code alloc=1} each allocation is one sample) and their bytes.
     */
    private static void printObjects(Object profiler, long requests) throws Exception {
        Path samples = Files.createTempFile("alloc-samples", ".collapsed");
        Path bytes = Files.createTempFile("alloc-bytes", ".collapsed");
        try {
            profile(profiler, "collapsed,file=" + samples);
            profile(profiler, "collapsed,total,file=" + bytes);
            java.util.Map<String, long[]> byClass = new java.util.TreeMap<>();
            tally(samples, byClass, 0);
            tally(bytes, byClass, 1);
            long objects = 0;
            long total = 0;
            List<java.util.Map.Entry<String, long[]>> rows = new ArrayList<>(byClass.entrySet());
            rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
            System.out.printf("%10s %10s  %s%n", "objects/req", "bytes/req", "class (event-loop threads)");
            for (java.util.Map.Entry<String, long[]> e : rows) {
                objects += e.getValue()[0];
                total += e.getValue()[1];
                double perReq = e.getValue()[0] / (double) requests;
                if (perReq >= 0.01) {
                    System.out.printf("%10.2f %10.1f  %s%n", perReq, e.getValue()[1] / (double) requests, e.getKey());
                }
            }
            System.out.printf("%10.2f %10.1f  all%n", objects / (double) requests, total / (double) requests);
            Path keep = Path.of("target/alloc-stacks.collapsed");
            Files.createDirectories(keep.getParent());
            Files.copy(samples, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            System.out.println("stacks (samples = objects): " + keep);
        } finally {
            Files.deleteIfExists(samples);
            Files.deleteIfExists(bytes);
        }
    }

    private static void tally(Path collapsed, java.util.Map<String, long[]> byClass, int column) throws IOException {
        for (String line : Files.readAllLines(collapsed)) {
            int space = line.lastIndexOf(' ');
            if (space < 0 || !line.startsWith("[palisade-io")) {
                continue;
            }
            String stack = line.substring(0, space);
            String cls = stack.substring(stack.lastIndexOf(';') + 1).replaceAll("_\\[[ik]\\]$", "");
            byClass.computeIfAbsent(cls, k -> new long[2])[column] += Long.parseLong(line.substring(space + 1));
        }
    }
}
