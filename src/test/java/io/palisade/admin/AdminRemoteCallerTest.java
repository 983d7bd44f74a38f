package io.palisade.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.testing.FakeTicker;
import io.palisade.testing.RecordingReleaseApi;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The admin pipeline as the server installs it, for a client on another machine. This workplace allows traffic only
 * to loopback, so the peer address is the channel's rather than a real connection's; everything past it (codec,
 * aggregator, auth, routes) is what a real connection runs.
 */
class AdminRemoteCallerTest {
    private static final InetSocketAddress REMOTE = new InetSocketAddress("192.0.2.10", 40_000);
    private static final String TOKEN = "remote-token-0123456789";

    /** An embedded channel whose peer is {@link #REMOTE}, with a client codec in front to speak HTTP bytes. */
    private static final class RemoteChannel extends EmbeddedChannel {
        @Override
        protected SocketAddress remoteAddress0() {
            return REMOTE;
        }
    }

    private static FullHttpResponse exchange(AdminServer.Pipeline pipeline, HttpMethod method, String path,
                                             String body, String authorization) {
        EmbeddedChannel server = new RemoteChannel();
        pipeline.install(server.pipeline());
        EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
        try {
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            req.headers().set(HttpHeaderNames.HOST, "admin").setInt(HttpHeaderNames.CONTENT_LENGTH, body.length());
            if (authorization != null) {
                req.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
            }
            client.writeOutbound(req);
            for (Object bytes; (bytes = client.readOutbound()) != null; ) {
                server.writeInbound(bytes);
            }
            server.runPendingTasks();
            for (Object bytes; (bytes = server.readOutbound()) != null; ) {
                client.writeInbound(bytes);
            }
            FullHttpResponse response = client.readInbound();
            assertThat(response).as("an answer").isNotNull();
            return response;
        } finally {
            server.finishAndReleaseAll();
            client.finishAndReleaseAll();
        }
    }

    private static int status(FullHttpResponse r) {
        try {
            return r.status().code();
        } finally {
            r.release();
        }
    }

    private static String text(FullHttpResponse r) {
        try {
            return r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    @Test
    void withoutATokenFile_aRemoteChange_is403_namingTheTokenFile_andRecorded() {
        RecordingReleaseApi api = RecordingReleaseApi.sameThread();
        AdminServer.Pipeline pipeline = new AdminServer.Pipeline(new NoBackend(), api, Optional.empty(),
                new FakeTicker());

        FullHttpResponse r = exchange(pipeline, HttpMethod.POST, "/config/rollback", "{}", null);

        assertThat(r.status().code()).isEqualTo(403);
        String body = text(r);
        assertThat(RecordingReleaseApi.parse(body).get("error").asText()).isEqualTo("forbidden");
        assertThat(body).contains("admin.token_file");
        assertThat(api.calls()).isEmpty();
        assertThat(api.refusals()).singleElement().satisfies(f -> {
            assertThat(f.status()).isEqualTo(403);
            assertThat(f.caller()).isEqualTo(new Caller("192.0.2.10", false, false));
            assertThat(f.caller().describe()).isEqualTo("anonymous@192.0.2.10");
        });
        assertThat(status(exchange(pipeline, HttpMethod.POST, "/config/reload", "", null))).isEqualTo(403);
    }

    @Test
    void withoutATokenFile_aRemoteRead_isServed() {
        RecordingReleaseApi api = RecordingReleaseApi.sameThread();
        AdminServer.Pipeline pipeline = new AdminServer.Pipeline(new NoBackend(), api, Optional.empty(),
                new FakeTicker());

        FullHttpResponse r = exchange(pipeline, HttpMethod.GET, "/config/versions", "", null);

        assertThat(r.status().code()).isEqualTo(200);
        r.release();
        assertThat(api.calls("versions")).hasSize(1);
        assertThat(api.refusals()).isEmpty();
    }

    @Test
    void withATokenFile_aRemoteChangeWithTheToken_goesThrough_asTheTokenCaller() {
        RecordingReleaseApi api = RecordingReleaseApi.sameThread();
        AdminServer.Pipeline pipeline = new AdminServer.Pipeline(new NoBackend(), api, Optional.of(TOKEN),
                new FakeTicker());

        FullHttpResponse r = exchange(pipeline, HttpMethod.POST, "/config/rollout/promote", "", "Bearer " + TOKEN);

        assertThat(r.status().code()).isEqualTo(200);
        r.release();
        Caller caller = (Caller) api.calls("rolloutControl").getFirst().arg(1);
        assertThat(caller.describe()).isEqualTo("token@192.0.2.10");
        assertThat(status(exchange(pipeline, HttpMethod.POST, "/config/rollout/promote", "", null))).isEqualTo(401);
    }

    @Test
    void onAnAddressReachableFromElsewhere_metricsNeedTheToken_andTheProbesDoNot() {
        RecordingReleaseApi api = RecordingReleaseApi.sameThread();
        AdminServer.Pipeline pipeline = new AdminServer.Pipeline(new NoBackend(), api, IngestApi.none(),
                AlertApi.none(), IncidentApi.none(), Optional.of(TOKEN), true, new FakeTicker());

        assertThat(status(exchange(pipeline, HttpMethod.GET, "/metrics", "", null))).isEqualTo(401);
        assertThat(status(exchange(pipeline, HttpMethod.GET, "/metrics", "", "Bearer wrong-token-0123456789")))
                .isEqualTo(401);
        assertThat(status(exchange(pipeline, HttpMethod.GET, "/metrics", "", "Bearer " + TOKEN))).isEqualTo(200);
        assertThat(status(exchange(pipeline, HttpMethod.GET, "/healthz", "", null))).isEqualTo(200);
        assertThat(status(exchange(pipeline, HttpMethod.GET, "/readyz", "", null))).isEqualTo(200);
        assertThat(api.refusals()).hasSize(2).allSatisfy(f -> assertThat(f.status()).isEqualTo(401));
    }

    @Test
    void onALoopbackAddressWithAToken_metricsStayOpen() {
        AdminServer.Pipeline pipeline = new AdminServer.Pipeline(new NoBackend(), RecordingReleaseApi.sameThread(),
                IngestApi.none(), AlertApi.none(), IncidentApi.none(), Optional.of(TOKEN), false, new FakeTicker());

        assertThat(status(exchange(pipeline, HttpMethod.GET, "/metrics", "", null))).isEqualTo(200);
    }

    private static final class NoBackend implements AdminBackend {
        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public String metrics() {
            return "";
        }

        @Override
        public com.fasterxml.jackson.databind.JsonNode config() {
            return Responses.JSON.createObjectNode();
        }

        @Override
        public com.fasterxml.jackson.databind.JsonNode clusters() {
            return Responses.JSON.createObjectNode();
        }

        @Override
        public java.util.concurrent.CompletionStage<ReloadResult> reload() {
            return java.util.concurrent.CompletableFuture.completedFuture(ReloadResult.applied("x"));
        }
    }
}
