package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import io.palisade.auth.ApiKeys;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.RawH2;
import io.palisade.testing.TestUpstream;
import io.palisade.testing.WebSocketEchoServer;
import io.palisade.tls.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket over HTTP/2 (RFC 8441) with Netty's own HTTP/2 client ({@code Http2FrameCodec} and
 * {@code Http2MultiplexHandler}, sending the extended CONNECT) and its RFC 6455 frame codec on the stream, through the
 * gateway's h2c listener to a real WebSocket server speaking HTTP/1.1: the listener offers
 * {@code SETTINGS_ENABLE_CONNECT_PROTOCOL}, the CONNECT passes auth and rate limits like any request, the stream gets
 * 200 and carries frames both ways, and END_STREAM or RST_STREAM on either side ends both.
 */
class Http2WebSocketTest {
    private WebSocketEchoServer echo;
    private TestUpstream plain;
    @TempDir
    Path dir;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (echo != null) {
            echo.close();
        }
        if (plain != null) {
            plain.close();
        }
    }

    private GatewayFixture start(Gateways gateways) throws Exception {
        echo = new WebSocketEchoServer();
        plain = TestUpstream.start("plain");
        ApiKeys.GeneratedKey key = ApiKeys.generate();
        apiKey = key.key();
        return gateways.start("""
                listeners:
                  http: { address: 127.0.0.1:0, http2: {} }
                consumers:
                  app: { api_keys: [ { sha256: "%s" } ] }
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
                  - name: secure
                    match: { path_prefix: /secure }
                    cluster: ws
                    websocket: true
                    auth: { any_of: [api_key] }
                    rate_limits: [ { key: consumer, rate: 1/m, name: upgrades } ]
                  - name: fake
                    match: { path_prefix: /fake }
                    cluster: plain
                    websocket: true
                  - name: api
                    match: { path_prefix: /api }
                    cluster: ws
                """.formatted(key.sha256Hex(), echo.address(), plain.address()));
    }

    private String apiKey;

    /** One HTTP/2 connection of Netty's client, with the server's first SETTINGS frame. */
    private final class Connection {
        final Channel channel;
        final CompletableFuture<Http2SettingsFrame> settings = new CompletableFuture<>();

        Connection(int port) throws InterruptedException {
            this(port, null);
        }

        /** @param tls a client context offering h2 in ALPN, or null for h2c with prior knowledge */
        Connection(int port, SslContext tls) throws InterruptedException {
            channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (tls != null) {
                                ch.pipeline().addLast(tls.newHandler(ch.alloc(), "localhost", port));
                            }
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                    new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                                    new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            if (msg instanceof Http2SettingsFrame s) {
                                                settings.complete(s);
                                            }
                                            ReferenceCountUtil.release(msg);
                                        }
                                    });
                        }
                    }).connect("127.0.0.1", port).sync().channel();
        }

        /** Opens a stream with an extended CONNECT for {@code path}, WebSocket frames on it from then on. */
        Tunnel open(String path, String... headers) throws Exception {
            Tunnel t = new Tunnel();
            Http2StreamChannel stream = new Http2StreamChannelBootstrap(channel)
                    .handler(new ChannelInitializer<Http2StreamChannel>() {
                        @Override
                        protected void initChannel(Http2StreamChannel ch) {
                            ch.pipeline().addLast(new DataBytes(), new WebSocket13FrameDecoder(false, false, 8 << 20),
                                    new WebSocket13FrameEncoder(true), t);
                        }
                    }).open().get(10, TimeUnit.SECONDS);
            t.stream = stream;
            Http2Headers h = new DefaultHttp2Headers().method("CONNECT").path(path).scheme("http")
                    .authority("gw.test").set(":protocol", "websocket").set("sec-websocket-version", "13");
            for (int i = 0; i < headers.length; i += 2) {
                h.add(headers[i].toLowerCase(), headers[i + 1]);
            }
            stream.writeAndFlush(new DefaultHttp2HeadersFrame(h, false)).sync();
            return t;
        }

        void close() {
            channel.close().syncUninterruptibly();
        }
    }

    /** DATA frames in, bytes out to the WebSocket decoder; bytes from the encoder out as DATA frames. */
    private static final class DataBytes extends ChannelDuplexHandler {
        static final Object END_STREAM = "END_STREAM";

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2DataFrame data) {
                boolean end = data.isEndStream();
                ctx.fireChannelRead(data.content());
                if (end) {
                    ctx.fireUserEventTriggered(END_STREAM);
                }
                return;
            }
            if (msg instanceof Http2HeadersFrame headers && headers.isEndStream()) {
                ctx.fireChannelRead(msg);
                ctx.fireUserEventTriggered(END_STREAM);
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg instanceof ByteBuf b ? new DefaultHttp2DataFrame(b, false) : msg, promise);
        }
    }

    /** What one tunnel's client receives. */
    private static final class Tunnel extends ChannelInboundHandlerAdapter {
        Http2StreamChannel stream;
        final CompletableFuture<Http2Headers> response = new CompletableFuture<>();
        final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closeFrame = new CompletableFuture<>();
        final CompletableFuture<Boolean> ended = new CompletableFuture<>();
        final CompletableFuture<Long> reset = new CompletableFuture<>();
        final CompletableFuture<Boolean> inactive = new CompletableFuture<>();
        final StringBuilder body = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame h) {
                    response.complete(h.headers());
                } else if (msg instanceof TextWebSocketFrame text) {
                    messages.add(text.text());
                } else if (msg instanceof BinaryWebSocketFrame binary) {
                    messages.add(ByteBufUtil.getBytes(binary.content()));
                } else if (msg instanceof CloseWebSocketFrame close) {
                    closeFrame.complete(close.statusCode());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A refused CONNECT answers with an error body the WebSocket decoder cannot read: the status says it.
            ctx.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == DataBytes.END_STREAM) {
                ended.complete(true);
            } else if (evt instanceof Http2ResetFrame r) {
                reset.complete(r.errorCode());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inactive.complete(true);
        }

        int status() throws Exception {
            return Integer.parseInt(response.get(30, TimeUnit.SECONDS).status().toString());
        }

        void send(Object frame) throws Exception {
            stream.writeAndFlush(frame).get(30, TimeUnit.SECONDS);
        }

        void endStream() throws Exception {
            stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true)).get(30, TimeUnit.SECONDS);
        }
    }

    @GatewayTest(loops = {1, 2})
    void extendedConnect_tunnelsFramesBothWays_andACloseFromTheClientEndsBothSides(Gateways gateways)
            throws Exception {
        GatewayFixture gw = start(gateways);
        Connection c = new Connection(gw.port());
        assertThat(c.settings.get(30, TimeUnit.SECONDS).settings().connectProtocolEnabled())
                .as("SETTINGS_ENABLE_CONNECT_PROTOCOL").isTrue();
        Tunnel t = c.open("/chat/room-1");
        assertThat(t.status()).isEqualTo(200);
        assertThat(t.response.get().contains("sec-websocket-accept")).isFalse();

        t.send(new TextWebSocketFrame("hello"));
        assertThat(t.messages.poll(30, TimeUnit.SECONDS)).isEqualTo("hello");
        byte[] large = new byte[3 << 20];
        new Random(7).nextBytes(large);
        t.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(large)));
        assertThat((byte[]) t.messages.poll(30, TimeUnit.SECONDS)).as("3 MiB, past the stream's 1 MiB window")
                .isEqualTo(large);
        for (int i = 0; i < 50; i++) {
            t.send(new TextWebSocketFrame("message " + i));
        }
        for (int i = 0; i < 50; i++) {
            assertThat(t.messages.poll(30, TimeUnit.SECONDS)).isEqualTo("message " + i);
        }
        assertThat(echo.requestHeaders()).singleElement().satisfies(h -> assertThat(h.toLowerCase())
                .contains("upgrade: websocket").contains("connection: upgrade").contains("sec-websocket-key")
                .contains("sec-websocket-version: 13").contains("x-forwarded-for"));
        assertThat(gw.admin("GET", "/metrics").body()).contains("palisade_websocket_tunnels_active 1.0")
                .contains("palisade_requests_total{cluster=\"ws\",code_class=\"2xx\",route=\"chat\"} 1.0");

        t.send(new CloseWebSocketFrame(1000, "bye"));
        assertThat(t.closeFrame.get(30, TimeUnit.SECONDS)).isEqualTo(1000);
        t.endStream();
        assertThat(t.ended.get(30, TimeUnit.SECONDS)).as("END_STREAM after the server closed").isTrue();
        assertThat(t.inactive.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(t.reset).as("closed cleanly, not reset").isNotDone();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(echo.openConnections()).as("the upstream side closed too").isZero();
            assertThat(gw.admin("GET", "/metrics").body()).contains("palisade_websocket_tunnels_active 0.0")
                    .contains("palisade_websocket_tunnels_total 1.0");
        });

        Tunnel again = c.open("/chat/room-2");
        assertThat(again.status()).as("the same connection opens another tunnel").isEqualTo(200);
        again.send(new TextWebSocketFrame("again"));
        assertThat(again.messages.poll(30, TimeUnit.SECONDS)).isEqualTo("again");
        c.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> echo.openConnections() == 0);
    }

    @GatewayTest(loops = {1})
    void overATlsListener_whereAlpnChoseH2_theTunnelWorksAlike(Gateways gateways) throws Exception {
        echo = new WebSocketEchoServer();
        TestPki.Issued ca = TestPki.ca("Palisade Test CA");
        TestPki.write(dir, "api", TestPki.server(ca, "localhost", TestPki.ec(), "localhost"), TestPki.KeyForm.PKCS8);
        GatewayFixture gw = gateways.start("""
                listeners:
                  https:
                    address: 127.0.0.1:0
                    tls:
                      certificates: [ { cert_file: %1$s/api.pem, key_file: %1$s/api.key } ]
                      alpn: [h2, http/1.1]
                clusters:
                  ws: { endpoints: [ "%2$s" ] }
                routes:
                  - { name: chat, match: { path_prefix: /chat }, cluster: ws, websocket: true }
                """.formatted(dir, echo.address()));
        SslContext tls = SslContextBuilder.forClient().trustManager(ca.cert())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2"))
                .build();
        Connection c = new Connection(gw.gateway().port("https"), tls);
        assertThat(c.settings.get(30, TimeUnit.SECONDS).settings().connectProtocolEnabled()).isTrue();
        Tunnel t = c.open("/chat/tls");
        assertThat(t.status()).isEqualTo(200);
        t.send(new TextWebSocketFrame("over tls"));
        assertThat(t.messages.poll(30, TimeUnit.SECONDS)).isEqualTo("over tls");
        t.send(new CloseWebSocketFrame(1000, "bye"));
        assertThat(t.closeFrame.get(30, TimeUnit.SECONDS)).isEqualTo(1000);
        t.endStream();
        assertThat(t.inactive.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(echo.requestHeaders()).singleElement().satisfies(h -> assertThat(h.toLowerCase())
                .contains("x-forwarded-proto: https"));
        await().atMost(Duration.ofSeconds(30)).until(() -> echo.openConnections() == 0);
        c.close();
    }

    @GatewayTest(loops = {1})
    void theServerClosing_reachesTheClientWithItsCode_andEndsTheStream(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        Connection c = new Connection(gw.port());
        Tunnel t = c.open("/chat/room-3");
        assertThat(t.status()).isEqualTo(200);
        t.send(new TextWebSocketFrame("close please"));
        assertThat(t.closeFrame.get(30, TimeUnit.SECONDS)).isEqualTo(4000);
        t.send(new CloseWebSocketFrame(4000, "ok")); // the closing handshake's answer: the server closes on it
        assertThat(t.ended.get(30, TimeUnit.SECONDS)).as("the server's close is the stream's end").isTrue();
        t.endStream();
        assertThat(t.inactive.get(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> echo.openConnections() == 0);
        c.close();
    }

    @GatewayTest(loops = {1})
    void aResetFromTheClient_closesTheUpstream_andTheConnectionServesOn(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        Connection c = new Connection(gw.port());
        Tunnel t = c.open("/chat/room-4");
        assertThat(t.status()).isEqualTo(200);
        t.send(new TextWebSocketFrame("hello"));
        assertThat(t.messages.poll(30, TimeUnit.SECONDS)).isEqualTo("hello");
        t.stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL)).get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(echo.openConnections()).isZero();
            assertThat(gw.admin("GET", "/metrics").body()).contains("palisade_websocket_tunnels_active 0.0");
        });
        Tunnel next = c.open("/chat/room-5");
        assertThat(next.status()).isEqualTo(200);
        c.close();
    }

    @GatewayTest(loops = {1})
    void aTunnelSilentForItsIdleTimeout_isClosed(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        Connection c = new Connection(gw.port());
        Tunnel t = c.open("/quiet/room");
        assertThat(t.status()).isEqualTo(200);
        // websocket_idle is 1 s: the upstream is closed, and the stream ends (then is reset, as the client is
        // silent too).
        assertThat(t.ended.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(t.inactive.get(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> echo.openConnections() == 0);
        c.close();
    }

    @GatewayTest(loops = {1})
    void theConnectGoesThroughAuthAndRateLimits_andAnUpstreamThatIsNoWebSocketServerIs502(Gateways gateways)
            throws Exception {
        GatewayFixture gw = start(gateways);
        Connection c = new Connection(gw.port());
        assertThat(c.open("/secure/a").status()).as("no key").isEqualTo(401);
        assertThat(c.open("/secure/a", "x-api-key", "pk_wrong").status()).isEqualTo(401);
        assertThat(c.open("/secure/a", "x-api-key", apiKey).status()).isEqualTo(200);
        assertThat(c.open("/secure/a", "x-api-key", apiKey).status()).as("over 1/m").isEqualTo(429);
        assertThat(echo.upgrades()).isEqualTo(1);
        assertThat(c.open("/fake/x").status()).as("the upstream answered 200, not 101").isEqualTo(502);
        assertThat(plain.requestCount()).isEqualTo(1);
        c.close();
    }

    /** An upstream that answers 101 without having taken the gateway's key is not a tunnel the client gets. */
    @GatewayTest(loops = {1})
    void a101WithTheWrongAccept_is502(Gateways gateways) throws Exception {
        try (ServerSocket liar = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = liar.accept()) {
                    InputStream in = s.getInputStream();
                    StringBuilder head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        head.append((char) b);
                    }
                    s.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the gateway hung up: expected
                }
            });
            GatewayFixture gw = gateways.start("""
                    listeners:
                      http: { address: 127.0.0.1:0, http2: {} }
                    clusters:
                      liar: { endpoints: [ "127.0.0.1:%d" ] }
                    routes:
                      - { match: { path_prefix: /chat }, cluster: liar, websocket: true }
                    """.formatted(liar.getLocalPort()));
            Connection c = new Connection(gw.port());
            assertThat(c.open("/chat/x").status()).isEqualTo(502);
            c.close();
        }
    }

    @GatewayTest(loops = {1})
    void refusals_noWebsocketRoute400_plainConnect405_protocolOnGetIsMalformed(Gateways gateways) throws Exception {
        GatewayFixture gw = start(gateways);
        try (RawH2 h2 = new RawH2(gw.port())) {
            int s = h2.newStreamId();
            h2.headers(s, RawH2.request("CONNECT", "/api/socket").set(":protocol", "websocket"), false);
            RawH2.Answer a = h2.answer(s);
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.body()).contains("\"websocket_not_enabled\"");

            int plainConnect = h2.newStreamId();
            h2.headers(plainConnect, new DefaultHttp2Headers(false).method("CONNECT").authority("example.com:443"),
                    false);
            RawH2.Answer refused = h2.answer(plainConnect);
            assertThat(refused.status()).isEqualTo(405);
            assertThat(refused.body()).contains("\"method_not_allowed\"");

            int otherProtocol = h2.newStreamId();
            h2.headers(otherProtocol, RawH2.request("CONNECT", "/chat/x").set(":protocol", "connect-udp"), false);
            assertThat(h2.answer(otherProtocol).status()).as("only websocket is tunnelled").isEqualTo(405);

            int onGet = h2.newStreamId();
            h2.headers(onGet, RawH2.get("/chat/x").set(":protocol", "websocket"), true);
            assertThat(h2.answer(onGet).resetCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());

            int after = h2.newStreamId();
            h2.headers(after, RawH2.get("/api/still"), true);
            assertThat(h2.answer(after).status()).as("the connection goes on").isNotZero();
        }
        assertThat(echo.upgrades()).isZero();
    }
}
