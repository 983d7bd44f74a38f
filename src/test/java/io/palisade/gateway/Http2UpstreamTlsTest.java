package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import io.palisade.tls.TestPki;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code protocol: h2} clusters: HTTP/2 over TLS to a real TLS HTTP/2 server on loopback (Netty's, and grpc-java's),
 * verified against the test CA, ALPN selecting {@code h2}; an endpoint that does not select it is a failed connect
 * (502, counted as {@code tls}), never HTTP/2 frames sent to an HTTP/1.1 server.
 */
class Http2UpstreamTlsTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final TestPki.Issued ca = TestPki.ca("Palisade Upstream CA");
    private final TestPki.Issued cert = TestPki.server(ca, "localhost", TestPki.ec(), "localhost");

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    /** A TLS HTTP/2 server (ALPN h2 only) answering each stream with its path, counting its connections. */
    private static final class H2TlsServer implements AutoCloseable {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final AtomicInteger connections = new AtomicInteger();
        final Channel server;

        H2TlsServer(SslContext tls) throws InterruptedException {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.incrementAndGet();
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()),
                                    Http2FrameCodecBuilder.forServer().build(),
                                    new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                        @Override
                                        protected void initChannel(Http2StreamChannel stream) {
                                            stream.pipeline().addLast(new Answer());
                                        }
                                    }));
                        }
                    }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static final class Answer extends SimpleChannelInboundHandler<Http2StreamFrame> {
        private String path;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
            boolean end = false;
            if (frame instanceof Http2HeadersFrame h) {
                path = h.headers().path().toString();
                end = h.isEndStream();
            } else if (frame instanceof Http2DataFrame d) {
                end = d.isEndStream();
            }
            if (end) {
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                        .set("content-type", "text/plain").set("x-served-by", "h2-tls")));
                ctx.writeAndFlush(new DefaultHttp2DataFrame(
                        Unpooled.copiedBuffer("h2 " + path, StandardCharsets.UTF_8), true));
            }
        }
    }

    private SslContext serverTls(String... alpn) throws Exception {
        SslContextBuilder b = SslContextBuilder.forServer(cert.key(), cert.cert());
        if (alpn.length > 0) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
        }
        return b.build();
    }

    private String caFile() {
        return TestPki.writeCert(dir, "ca", ca.cert()).toString();
    }

    @GatewayTest(loops = {1})
    void requests_reachAnH2UpstreamOverTls_asStreamsOfOneConnection(Gateways gateways) throws Exception {
        H2TlsServer upstream = new H2TlsServer(serverTls("h2"));
        closing.add(upstream);
        GatewayFixture gw = gateways.start("""
                clusters:
                  secure: { endpoints: [ "127.0.0.1:%d" ], protocol: h2, tls: { ca_file: %s, server_name: localhost } }
                routes:
                  - { match: { path_prefix: /api }, cluster: secure }
                """.formatted(upstream.port(), caFile()));
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(gw.client().sendAsync(HttpRequest.newBuilder(URI.create(gw.url("/api/" + i))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = calls.get(i).get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("h2 /api/" + i);
            assertThat(r.headers().firstValue("x-served-by")).contains("h2-tls");
        }
        assertThat(upstream.connections.get()).as("one connection per endpoint and event loop").isEqualTo(1);
    }

    @GatewayTest(loops = {1})
    void anEndpointThatDoesNotSelectH2_isAFailedConnect_502CountedAsTls(Gateways gateways) throws Exception {
        TestUpstream http11 = TestUpstream.startTls("http11", serverTls());
        closing.add(http11);
        H2TlsServer h1Alpn = new H2TlsServer(serverTls("http/1.1"));
        closing.add(h1Alpn);
        GatewayFixture gw = gateways.start("""
                clusters:
                  noalpn: { endpoints: [ "%s" ], protocol: h2, tls: { ca_file: %s, server_name: localhost } }
                  h1alpn: { endpoints: [ "127.0.0.1:%d" ], protocol: h2, tls: { ca_file: %s, server_name: localhost } }
                routes:
                  - { match: { path_prefix: /noalpn }, cluster: noalpn }
                  - { match: { path_prefix: /h1alpn }, cluster: h1alpn }
                """.formatted(http11.address(), caFile(), h1Alpn.port(), caFile()));
        for (String path : List.of("/noalpn/x", "/h1alpn/x")) {
            HttpResponse<String> r = gw.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(502);
            assertThat(r.body()).contains("\"upstream_unreachable\"");
        }
        assertThat(http11.requestCount()).as("no request reached the HTTP/1.1 server").isZero();
        assertThat(gw.admin("GET", "/metrics").body())
                .containsPattern("palisade_upstream_failures_total\\{cluster=\"noalpn\",kind=\"tls\"} [1-9]")
                .containsPattern("palisade_upstream_failures_total\\{cluster=\"h1alpn\",kind=\"tls\"} [1-9]");
    }

    /** grpc-java over TLS behind an {@code h2} cluster: a real gRPC call, its status in the trailers. */
    @GatewayTest(loops = {1})
    void aGrpcCall_passesThroughAnH2TlsCluster(Gateways gateways) throws Exception {
        TestPki.Files2 files = TestPki.write(dir, "grpc", cert, TestPki.KeyForm.PKCS8);
        Server server = Grpc.newServerBuilderForPort(0,
                        TlsServerCredentials.create(files.cert().toFile(), files.key().toFile()))
                .addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
                    @Override
                    public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> responses) {
                        if (request.getRequestMessage().equals("missing")) {
                            responses.onError(Status.NOT_FOUND.withDescription("no such thing").asRuntimeException());
                            return;
                        }
                        responses.onNext(SimpleResponse.newBuilder()
                                .setResponseMessage("hello " + request.getRequestMessage()).build());
                        responses.onCompleted();
                    }
                }).build().start();
        closing.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        GatewayFixture gw = gateways.start("""
                listeners:
                  http: { address: 127.0.0.1:0, http2: {} }
                clusters:
                  grpc: { endpoints: [ "127.0.0.1:%d" ], protocol: h2, tls: { ca_file: %s, server_name: localhost } }
                routes:
                  - match: { path_prefix: /grpc.testing.SimpleService/ }
                    cluster: grpc
                """.formatted(server.getPort(), caFile()));
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gw.port(),
                InsecureChannelCredentials.create()).build();
        closing.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            assertThat(stub.unaryRpc(SimpleRequest.newBuilder().setRequestMessage("tls " + i).build())
                    .getResponseMessage()).isEqualTo("hello tls " + i);
        }
        assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.newBuilder().setRequestMessage("missing").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no such thing");
                });
    }
}
