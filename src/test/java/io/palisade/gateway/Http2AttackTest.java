package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.codec.http2.Http2Error;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawClient;
import io.palisade.testing.RawH2;
import io.palisade.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * The known HTTP/2 attacks against the real h2c listener, each from a raw frame writer: the offender gets GOAWAY (with
 * the error code asserted) or a close, other clients keep being served, and what the gateway holds stays bounded.
 */
class Http2AttackTest {
    private TestUpstream upstream;

    @AfterEach
    void tearDown() {
        if (upstream != null) {
            upstream.close();
        }
    }

    private GatewayFixture start(Gateways gateways) {
        upstream = TestUpstream.start("app");
        return gateways.start(Http2GatewayTest.config(upstream.address()));
    }

    /** Another client, on its own HTTP/2 connection and on HTTP/1.1, is served. */
    private static void othersAreServed(GatewayFixture gw) throws IOException {
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/api/bystander"), true);
            assertThat(h2.answer(s).status()).isEqualTo(200);
        }
        try (RawClient c = new RawClient(gw.port())) {
            c.send("GET /api/bystander HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    /** Sends frames until the server ends the connection (a write fails), then returns its GOAWAY code, if any. */
    private static long goAwayCode(RawH2 h2) throws IOException {
        RawH2.Frame f = h2.awaitGoAway();
        return f == null ? -1 : f.errorCode();
    }

    private static String metrics(GatewayFixture gw) {
        return gw.admin("GET", "/metrics").body();
    }

    @GatewayTest
    void rapidReset_getsGoAwayEnhanceYourCalm(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        upstream.behave(new TestUpstream.Respond(200, null, 200));
        try (RawH2 h2 = new RawH2(gw.port())) {
            try {
                for (int i = 0; i < 1000; i++) {
                    int s = h2.newStreamId();
                    h2.headers(s, RawH2.get("/api/reset"), true);
                    h2.rst(s, (int) Http2Error.CANCEL.code());
                }
            } catch (SocketException closedUnderUs) {
                // the gateway gave up on us before we finished: what we want
            }
            assertThat(goAwayCode(h2)).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
        }
        othersAreServed(gw);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(metrics(gw))
                .contains("palisade_http2_goaways_sent_total{reason=\"enhance_your_calm\"} 1.0")
                .containsPattern("palisade_http2_streams_reset_total\\{by=\"client\"} [1-9]"));
        // Far fewer requests reached the upstream than were started and reset.
        assertThat(upstream.requestCount()).isLessThan(1000);
    }

    @GatewayTest
    void continuationFlood_ofSmallFrames_endsTheConnection(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.frame(RawH2.HEADERS, RawH2.END_STREAM, s, h2.encode(s, RawH2.get("/api/cont")));
            try {
                for (int i = 0; i < 100_000; i++) {
                    h2.frame(RawH2.CONTINUATION, 0, s, new byte[0]);
                }
            } catch (SocketException closedUnderUs) {
                // expected
            }
            long code = goAwayCode(h2);
            assertThat(code).isIn(-1L, Http2Error.PROTOCOL_ERROR.code(), Http2Error.ENHANCE_YOUR_CALM.code());
        }
        othersAreServed(gw);
    }

    @GatewayTest
    void continuationFlood_beyondTheHeaderListSize_endsTheConnection(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.frame(RawH2.HEADERS, RawH2.END_STREAM, s, h2.encode(s, RawH2.get("/api/cont")));
            // Literal fields without indexing, 4 KiB each, never ending the block: 64 MiB if it were all kept.
            byte[] field = literal("x-pad", "p".repeat(4000));
            try {
                for (int i = 0; i < 16_000; i++) {
                    h2.frame(RawH2.CONTINUATION, 0, s, field);
                }
            } catch (SocketException closedUnderUs) {
                // expected
            }
            long code = goAwayCode(h2);
            assertThat(code).isIn(-1L, Http2Error.PROTOCOL_ERROR.code(), Http2Error.ENHANCE_YOUR_CALM.code());
        }
        assertThat(PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore)
                .as("direct memory growth").isLessThan(32L << 20);
        othersAreServed(gw);
    }

    @GatewayTest
    void hpackBomb_isRefused_withoutDecodingItAll(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            // One 4,000-byte field added to the dynamic table, then 8,000 one-byte references to it: 32 MB decoded
            // from a block of 12 KB, against a max_header_list_size of 8 KiB.
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.write(0x82); // :method GET
            block.write(0x86); // :scheme http
            block.writeBytes(literalIndexedName(4, "/api/bomb")); // :path
            block.writeBytes(literalIndexedName(1, "gw.test")); // :authority
            block.writeBytes(incrementalIndexing("x-bomb", "b".repeat(4000)));
            for (int i = 0; i < 8000; i++) {
                block.write(0x80 | 62); // the newest dynamic table entry: x-bomb
            }
            h2.frame(RawH2.HEADERS, RawH2.END_STREAM | RawH2.END_HEADERS, s, block.toByteArray());
            RawH2.Frame f;
            long outcome = -1;
            int status = 0;
            while ((f = h2.read()) != null) {
                if (f.type() == RawH2.GOAWAY || f.type() == RawH2.RST_STREAM) {
                    outcome = f.errorCode();
                    break;
                }
                if (f.type() == RawH2.HEADERS && f.stream() == s) {
                    status = 431; // the only answer a header block this large can get (checked below)
                    break;
                }
            }
            assertThat(status == 431 || outcome >= 0).as("refused: 431, RST_STREAM or GOAWAY").isTrue();
        }
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri).doesNotContain("/api/bomb");
        othersAreServed(gw);
    }

    @GatewayTest
    void settingsFlood_getsGoAwayEnhanceYourCalm(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            try {
                for (int i = 0; i < 5000; i++) {
                    h2.settings(4, 65535);
                }
            } catch (SocketException closedUnderUs) {
                // expected
            }
            // The GOAWAY may be lost to the reset a close with our unread frames causes: the counter says it went.
            assertThat(goAwayCode(h2)).isIn(-1L, Http2Error.ENHANCE_YOUR_CALM.code());
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(metrics(gw))
                .contains("palisade_http2_goaways_sent_total{reason=\"enhance_your_calm\"} 1.0"));
        othersAreServed(gw);
    }

    @GatewayTest
    void pingFlood_getsGoAwayEnhanceYourCalm(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            try {
                for (int i = 0; i < 5000; i++) {
                    h2.ping();
                }
            } catch (SocketException closedUnderUs) {
                // expected
            }
            // The GOAWAY may be lost to the reset a close with our unread frames causes: the counter says it went.
            assertThat(goAwayCode(h2)).isIn(-1L, Http2Error.ENHANCE_YOUR_CALM.code());
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(metrics(gw))
                .contains("palisade_http2_goaways_sent_total{reason=\"enhance_your_calm\"} 1.0"));
        othersAreServed(gw);
    }

    @GatewayTest
    void emptyDataFlood_endsTheConnection(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        upstream.behave(new TestUpstream.Hang());
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.request("POST", "/api/empty"), false);
            try {
                for (int i = 0; i < 10_000; i++) {
                    h2.data(s, new byte[0], false);
                }
            } catch (SocketException closedUnderUs) {
                // expected
            }
            assertThat(goAwayCode(h2)).isIn(Http2Error.ENHANCE_YOUR_CALM.code(), Http2Error.PROTOCOL_ERROR.code());
        }
        upstream.behave(new TestUpstream.Respond(200, null, 0));
        othersAreServed(gw);
    }

    @GatewayTest
    void streamIdExhaustion_theHighestIdIsServed_andNothingBelowItOpensAgain(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            int last = Integer.MAX_VALUE; // 2^31-1, the last odd id
            h2.headers(last, RawH2.get("/api/last"), true);
            assertThat(h2.answer(last).status()).isEqualTo(200);
            h2.headers(1, RawH2.get("/api/again"), true);
            assertThat(goAwayCode(h2)).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        }
        assertThat(upstream.received()).extracting(TestUpstream.Received::uri).doesNotContain("/api/again");
        othersAreServed(gw);
    }

    @GatewayTest
    void aWindowUpdateThatOverflows_isAFlowControlError(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        upstream.behave(new TestUpstream.Respond(200, null, 500));
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.get("/api/window"), true);
            h2.windowUpdate(s, Integer.MAX_VALUE);
            assertThat(h2.answer(s).resetCode()).isEqualTo(Http2Error.FLOW_CONTROL_ERROR.code());
            h2.windowUpdate(0, Integer.MAX_VALUE);
            assertThat(goAwayCode(h2)).isEqualTo(Http2Error.FLOW_CONTROL_ERROR.code());
        }
        upstream.behave(new TestUpstream.Respond(200, null, 0));
        othersAreServed(gw);
    }

    /**
     * A client that opens its windows at zero and never reads: the gateway stops reading the upstream once the
     * stream's window is used, instead of buffering the 64 MB response, and the route's request timeout ends it.
     */
    @GatewayTest(loops = 1)
    void aZeroWindowStall_holdsBoundedMemory_andTheRequestTimeoutEndsIt(Gateways gateways) throws Exception {
        try (BigUpstream big = new BigUpstream(64 << 20)) {
            upstream = TestUpstream.start("app");
            GatewayFixture gw = gateways.start("""
                    listeners:
                      http: { address: 127.0.0.1:0, http2: {} }
                    clusters:
                      big: { endpoints: [ "127.0.0.1:%d" ], timeouts: { request: 3s, idle: 3s } }
                      app: { endpoints: [ "%s" ] }
                    routes:
                      - match: { path_prefix: /big }
                        cluster: big
                      - match: { path_prefix: /api }
                        cluster: app
                    """.formatted(big.port(), upstream.address()));
            long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            try (RawH2 h2 = new RawH2(gw.port(), false)) {
                h2.raw(RawH2.prefaceBytes());
                h2.settings(4, 0); // SETTINGS_INITIAL_WINDOW_SIZE = 0
                int s = h2.newStreamId();
                h2.headers(s, RawH2.get("/big/file"), true);
                await().atMost(10, TimeUnit.SECONDS).until(() -> big.sent() > 0);
                Thread.sleep(1000); // let whatever the gateway would buffer arrive (an assertion on bytes, not time)
                long held = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore;
                assertThat(held).as("direct memory the stalled stream holds").isLessThan(16L << 20);
                assertThat(big.sent()).as("bytes the upstream got rid of").isLessThan(48L << 20);
                othersAreServed(gw);
                // The request timeout (3s) cuts the stream.
                h2.socket().setSoTimeout(20_000);
                RawH2.Frame f;
                long code = -2;
                while ((f = h2.read()) != null) {
                    if ((f.type() == RawH2.RST_STREAM && f.stream() == s) || f.type() == RawH2.GOAWAY) {
                        code = f.errorCode();
                        break;
                    }
                }
                assertThat(code).as("the stalled stream was cut").isNotEqualTo(-2L);
            }
        }
    }

    // ---- HPACK by hand

    static byte[] literal(String name, String value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x00); // literal without indexing, new name
        string(b, name);
        string(b, value);
        return b.toByteArray();
    }

    static byte[] incrementalIndexing(String name, String value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x40);
        string(b, name);
        string(b, value);
        return b.toByteArray();
    }

    static byte[] literalIndexedName(int index, String value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(index); // literal without indexing, name from the static table (index < 15)
        string(b, value);
        return b.toByteArray();
    }

    private static void string(ByteArrayOutputStream b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        integer(b, 0x00, 7, bytes.length);
        b.writeBytes(bytes);
    }

    private static void integer(ByteArrayOutputStream b, int flags, int prefixBits, int value) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            b.write(flags | value);
            return;
        }
        b.write(flags | max);
        value -= max;
        while (value >= 128) {
            b.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        b.write(value);
    }

    /** An HTTP/1.1 upstream that answers every request with {@code size} bytes from the heap, counting what it sent. */
    static final class BigUpstream implements AutoCloseable {
        private final ServerSocket server;
        private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        private final Thread thread;

        BigUpstream(int size) throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            thread = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> serve(s, size));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private void serve(Socket s, int size) {
            try (s) {
                s.setSendBufferSize(64 * 1024);
                byte[] buf = new byte[8192];
                s.getInputStream().read(buf); // the request head (small): read once
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[64 * 1024];
                for (int done = 0; done < size; done += chunk.length) {
                    out.write(chunk, 0, Math.min(chunk.length, size - done));
                    sent.addAndGet(Math.min(chunk.length, size - done));
                }
            } catch (IOException e) {
                // the gateway cut it: expected
            }
        }

        int port() {
            return server.getLocalPort();
        }

        long sent() {
            return sent.get();
        }

        @Override
        public void close() throws IOException {
            server.close();
            thread.interrupt();
        }
    }
}
