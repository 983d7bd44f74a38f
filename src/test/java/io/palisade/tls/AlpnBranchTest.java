package io.palisade.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ALPN hook: with an {@link Http2Branch}, a client that chooses h2 has its connection handed to the branch with
 * the HTTP/1.1 handlers removed; without one, h2 is not offered and HTTP/1.1 serves.
 */
class AlpnBranchTest {
    @TempDir
    Path dir;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @AfterEach
    void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private int serve(ServerTls tls) throws InterruptedException {
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        tls.install(ch.pipeline(), Duration.ofSeconds(5), HandshakeListener.NONE);
                        ch.pipeline().addLast("http1-codec", new ChannelInboundHandlerAdapter())
                                .addLast("http1-proxy", new ChannelInboundHandlerAdapter());
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private SSLSocket connect(int port, TestPki.Issued ca, String... protocols) throws Exception {
        SSLSocket s = (SSLSocket) TlsClient.context(ca.cert(), null).getSocketFactory().createSocket("127.0.0.1",
                port);
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(protocols);
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private TlsSettings settings(TestPki.Issued ca) {
        TestPki.Files2 f = TestPki.write(dir, "s", TestPki.server(ca, "s", TestPki.ec(), "s.test"),
                TestPki.KeyForm.PKCS8);
        return new TlsSettings(List.of(new TlsSettings.CertificateFiles(f.cert(), f.key())), TlsSettings.TLS_1_2,
                List.of(TlsSettings.H2, TlsSettings.HTTP_1_1), TlsSettings.ClientAuth.NONE, Optional.empty());
    }

    @Test
    void h2Chosen_handsTheConnectionToTheBranch_withoutTheHttp1Handlers() throws Exception {
        TestPki.Issued ca = TestPki.ca("ca");
        CompletableFuture<List<String>> branched = new CompletableFuture<>();
        ServerTls tls = ServerTls.create("listeners.https.tls", settings(ca),
                Optional.of(pipeline -> branched.complete(pipeline.names())), Clock.systemUTC());
        assertThat(tls.offeredProtocols()).containsExactly("h2", "http/1.1");
        int port = serve(tls);
        try (SSLSocket s = connect(port, ca, "h2", "http/1.1")) {
            assertThat(s.getApplicationProtocol()).isEqualTo("h2");
            assertThat(branched.get(10, TimeUnit.SECONDS)).noneMatch(n -> n.startsWith("http1"))
                    .noneMatch(n -> n.equals(ServerTls.HANDSHAKE));
        }
        try (SSLSocket s = connect(port, ca, "http/1.1")) {
            assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
        }
    }

    @Test
    void withoutABranch_h2IsNotOffered() throws Exception {
        TestPki.Issued ca = TestPki.ca("ca");
        ServerTls tls = ServerTls.create("listeners.https.tls", settings(ca), Optional.empty(), Clock.systemUTC());
        assertThat(tls.offeredProtocols()).containsExactly("http/1.1");
        int port = serve(tls);
        try (SSLSocket s = connect(port, ca, "h2", "http/1.1")) {
            assertThat(s.getApplicationProtocol()).isEqualTo("http/1.1");
        }
    }
}
