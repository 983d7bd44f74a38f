package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.palisade.auth.ApiKeys;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.NodeScripts;
import io.palisade.testing.RawClient;
import io.palisade.testing.TestUpstream;
import io.palisade.testing.WebSocketEchoServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * WebSocket through the gateway with a real client (the JDK's) and a real server (Netty's RFC 6455 implementation):
 * the upgrade passes auth and rate limits like any request, then both sides talk through the tunnel until either
 * closes; a route without {@code websocket: true} refuses the upgrade instead of answering it as a plain request.
 * And server-sent events stream through unbuffered.
 */
class WebSocketGatewayTest {
    private WebSocketEchoServer echo;
    private TestUpstream plain;

    @AfterEach
    void tearDown() {
        if (echo != null) {
            echo.close();
        }
        if (plain != null) {
            plain.close();
        }
    }

    private String config(String extraRoute) {
        return """
                clusters:
                  ws: { endpoints: [ "%s" ] }
                  plain: { endpoints: [ "%s" ] }
                routes:
                  - name: chat
                    match: { path_prefix: /chat }
                    cluster: ws
                    websocket: true
                  - name: quiet
                    match: { path_prefix: /quiet }
                    cluster: ws
                    websocket: true
                    timeouts: { websocket_idle: 1s }
                  - name: api
                    match: { path_prefix: /api }
                    cluster: ws
                %s
                  - name: other
                    match: { path_prefix: / }
                    cluster: plain
                """.formatted(echo.address(), plain.address(), extraRoute);
    }

    /** Collects what the client receives: whole text and binary messages, and how the connection ended. */
    private static final class Collect implements WebSocket.Listener {
        final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                messages.add(binary.toByteArray());
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(-1);
        }
    }

    private static WebSocket connect(GatewayFixture gw, String path, Collect listener, String... headers)
            throws Exception {
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.buildAsync(URI.create("ws://127.0.0.1:" + gw.port() + path), listener).get(30, TimeUnit.SECONDS);
    }

    private static int handshakeStatus(GatewayFixture gw, String path, String... headers) throws Exception {
        try {
            connect(gw, path, new Collect(), headers).abort();
            return 101;
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
            return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
        }
    }

    @GatewayTest(loops = {1, 2})
    void textBinaryAndLargeMessages_echoThroughTheTunnel_andACloseFromTheClientClosesBothSides(Gateways gateways)
            throws Exception {
        echo = new WebSocketEchoServer();
        plain = TestUpstream.start("plain");
        GatewayFixture gw = gateways.start(config(""));
        Collect c = new Collect();
        WebSocket ws = connect(gw, "/chat/room-1", c);

        ws.sendText("hello", true).get(10, TimeUnit.SECONDS);
        assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");
        byte[] large = new byte[2 << 20];
        new Random(7).nextBytes(large);
        ws.sendBinary(ByteBuffer.wrap(large), true).get(30, TimeUnit.SECONDS);
        assertThat((byte[]) c.messages.poll(30, TimeUnit.SECONDS)).as("2 MiB, through backpressure").isEqualTo(large);
        for (int i = 0; i < 100; i++) {
            ws.sendText("message " + i, true).get(10, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo("message " + i);
        }
        assertThat(echo.requestHeaders()).singleElement().satisfies(h -> assertThat(h.toLowerCase())
                .contains("upgrade: websocket").contains("connection: upgrade").contains("sec-websocket-key")
                .contains("x-forwarded-for"));
        String metrics = gw.admin("GET", "/metrics").body();
        assertThat(metrics).contains("palisade_websocket_tunnels_active 1.0")
                .contains("palisade_requests_total{cluster=\"ws\",code_class=\"1xx\",route=\"chat\"} 1.0");

        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        assertThat(c.closed.get(30, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(echo.openConnections()).as("the upstream side closed too").isZero();
            assertThat(gw.admin("GET", "/metrics").body()).contains("palisade_websocket_tunnels_active 0.0")
                    .contains("palisade_websocket_tunnels_total 1.0");
        });
        assertThat(gw.get("/other").statusCode()).isEqualTo(200);
    }

    @GatewayTest(loops = {1})
    void theServerClosing_reachesTheClientWithItsCode(Gateways gateways) throws Exception {
        echo = new WebSocketEchoServer();
        plain = TestUpstream.start("plain");
        GatewayFixture gw = gateways.start(config(""));
        Collect c = new Collect();
        WebSocket ws = connect(gw, "/chat/room-2", c);
        ws.sendText("close please", true).get(10, TimeUnit.SECONDS);
        assertThat(c.closed.get(30, TimeUnit.SECONDS)).isEqualTo(4000);
        await().atMost(Duration.ofSeconds(30)).until(() -> echo.openConnections() == 0);
        assertThat(gw.get("/other").statusCode()).isEqualTo(200);
    }

    @GatewayTest(loops = {1})
    void aTunnelSilentForItsIdleTimeout_isClosed_andTheGatewayKeepsServing(Gateways gateways) throws Exception {
        echo = new WebSocketEchoServer();
        plain = TestUpstream.start("plain");
        GatewayFixture gw = gateways.start(config(""));
        Collect c = new Collect();
        connect(gw, "/quiet/room", c);
        await().atMost(Duration.ofSeconds(30)).until(() -> echo.upgrades() == 1);
        // websocket_idle is 1 s; nothing is sent either way, so the gateway closes both sides.
        assertThat(c.closed.get(30, TimeUnit.SECONDS)).isNotNull();
        await().atMost(Duration.ofSeconds(30)).until(() -> echo.openConnections() == 0);
        assertThat(gw.get("/other").statusCode()).isEqualTo(200);
    }

    @GatewayTest(loops = {1})
    void aWebSocketUpgrade_onARouteWithoutWebsocket_is400WebsocketNotEnabled_andTheConnectionServesOn(
            Gateways gateways) throws Exception {
        echo = new WebSocketEchoServer();
        plain = TestUpstream.start("plain");
        GatewayFixture gw = gateways.start(config(""));
        assertThat(handshakeStatus(gw, "/api/socket")).isEqualTo(400);
        try (RawClient raw = new RawClient(gw.port())) {
            raw.send("GET /api/socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            RawClient.Response r = raw.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("\"websocket_not_enabled\"");
            raw.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.read().status()).as("same connection").isEqualTo(200);
        }
        assertThat(echo.upgrades()).isZero();
    }

    @GatewayTest(loops = {1})
    void anUpgradeToH2c_orWithoutConnectionUpgrade_isServedAsPlainHttp11_neverTunnelled(Gateways gateways)
            throws Exception {
        echo = new WebSocketEchoServer();
        plain = TestUpstream.start("plain");
        GatewayFixture gw = gateways.start(config(""));
        try (RawClient raw = new RawClient(gw.port())) {
            raw.send("GET /other/h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            raw.send("GET /other/half HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
        }
        assertThat(plain.received()).hasSize(2).allSatisfy(r -> {
            assertThat(r.headers().contains("upgrade")).isFalse();
            assertThat(r.headers().contains("http2-settings")).isFalse();
        });
    }

    @GatewayTest(loops = {1})
    void theUpgradeRequest_goesThroughAuthAndRateLimits(Gateways gateways) throws Exception {
        echo = new WebSocketEchoServer();
        plain = TestUpstream.start("plain");
        ApiKeys.GeneratedKey key = ApiKeys.generate();
        GatewayFixture gw = gateways.start("""
                consumers:
                  app: { api_keys: [ { sha256: "%s" } ] }
                """.formatted(key.sha256Hex()) + config("""
                  - name: secure
                    match: { path_prefix: /secure }
                    cluster: ws
                    websocket: true
                    auth: { any_of: [api_key] }
                    rate_limits: [ { key: consumer, rate: 2/m, name: upgrades } ]
                """.indent(0).stripTrailing()));
        assertThat(handshakeStatus(gw, "/secure/a")).as("no key").isEqualTo(401);
        assertThat(handshakeStatus(gw, "/secure/a", "X-Api-Key", "pk_wrong")).isEqualTo(401);
        assertThat(handshakeStatus(gw, "/secure/a", "X-Api-Key", key.key())).isEqualTo(101);
        assertThat(handshakeStatus(gw, "/secure/a", "X-Api-Key", key.key())).isEqualTo(101);
        assertThat(handshakeStatus(gw, "/secure/a", "X-Api-Key", key.key())).as("over 2/m").isEqualTo(429);
        assertThat(echo.upgrades()).isEqualTo(2);
        assertThat(gw.get("/other").statusCode()).isEqualTo(200);
    }

    /** npm's ws, client and server, the WebSocket library most of the JavaScript world uses, through the gateway. */
    @GatewayTest(loops = {1})
    void npmWsClientAndServer_talkThroughTheTunnel(Gateways gateways) throws Exception {
        plain = TestUpstream.start("plain");
        try (NodeScripts.Server server = new NodeScripts.Server("ws-echo-server.mjs")) {
            GatewayFixture gw = gateways.start("""
                    clusters:
                      ws: { endpoints: [ "127.0.0.1:%d" ] }
                    routes:
                      - name: chat
                        match: { path_prefix: /chat }
                        cluster: ws
                        websocket: true
                    """.formatted(server.port()));
            NodeScripts.Run run = NodeScripts.run("ws-client.mjs", "ws://127.0.0.1:" + gw.port() + "/chat/node");
            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output()).contains("\"upgradeStatus\":101").contains("\"closeCode\":4000")
                    .contains("\"binaryOk\":true");
            assertThat(gw.get("/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void config_websocketIdleNeedsWebsocket_andAnIngestRouteCannotTunnel() {
        assertThat(ConfigLoaderTest.errorsOf("""
                clusters:
                  ws: { endpoints: [ "127.0.0.1:9" ] }
                routes:
                  - match: { path_prefix: /a }
                    cluster: ws
                    timeouts: { websocket_idle: 5m }
                  - match: { path_prefix: /b }
                    cluster: ws
                    websocket: yes please
                """)).anySatisfy(e -> assertThat(e).startsWith("routes[0].timeouts.websocket_idle:")
                        .contains("absent unless websocket is true"))
                .anySatisfy(e -> assertThat(e).startsWith("routes[1].websocket:"));
    }

    /**
     * Server-sent events: the upstream writes one event and waits; the client must read it while the upstream still
     * waits, so nothing in between buffers the response until it ends.
     */
    @GatewayTest(loops = {1})
    void serverSentEvents_streamUnbuffered(Gateways gateways) throws Exception {
        CountDownLatch firstRead = new CountDownLatch(1);
        HttpServer sse = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        sse.createContext("/events", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write("data: first\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                firstRead.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write("data: second\n\n".getBytes(StandardCharsets.UTF_8));
            out.close();
        });
        sse.start();
        try {
            GatewayFixture gw = gateways.start("""
                    clusters:
                      sse: { endpoints: [ "127.0.0.1:%d" ] }
                    routes:
                      - match: { path_prefix: /events }
                        cluster: sse
                    """.formatted(sse.getAddress().getPort()));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gw.port())) {
                s.setSoTimeout(30_000);
                s.getOutputStream().write("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                String seen = readUntil(in, "data: first\n\n");
                assertThat(seen).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: text/event-stream")
                        .doesNotContain("second");
                firstRead.countDown();
                assertThat(readUntil(in, "data: second\n\n")).contains("data: second");
            }
            assertThat(gw.get("/nothing").statusCode()).as("still serving").isEqualTo(404);
        } finally {
            firstRead.countDown();
            sse.stop(0);
        }
    }

    private static String readUntil(InputStream in, String marker) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while (!sb.toString().contains(marker) && (b = in.read()) >= 0) {
            sb.append((char) b);
        }
        return sb.toString();
    }
}
