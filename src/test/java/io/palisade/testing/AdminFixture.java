package io.palisade.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.palisade.admin.AdminBackend;
import io.palisade.admin.AdminConfig;
import io.palisade.admin.AdminServer;
import io.palisade.admin.ReloadResult;
import io.palisade.config.Address;
import io.palisade.server.Transport;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A real {@link AdminServer} on 127.0.0.1 and a free port, with a {@link RecordingReleaseApi} behind it and a
 * {@link FakeTicker} for its failed-attempt windows.
 */
public final class AdminFixture implements AutoCloseable {
    private final EventLoopGroup group;
    private final AdminServer server;
    public final RecordingReleaseApi api;
    public final FakeTicker ticker = new FakeTicker();

    private AdminFixture(Optional<Path> tokenFile, RecordingReleaseApi api) throws InterruptedException {
        this.api = api;
        Transport transport = Transport.detect();
        this.group = transport.newGroup(1, "test-admin");
        try {
            this.server = AdminServer.start(new AdminConfig(new Address("127.0.0.1", 0), tokenFile), group,
                    transport.serverChannel(), new Backend(), api, ticker);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Without a token file: reads open, changes from loopback only. */
    public static AdminFixture open() throws InterruptedException {
        return new AdminFixture(Optional.empty(), RecordingReleaseApi.async());
    }

    /** With the token in {@code tokenFile}. */
    public static AdminFixture withToken(Path tokenFile) throws InterruptedException {
        return new AdminFixture(Optional.of(tokenFile), RecordingReleaseApi.async());
    }

    public int port() {
        return server.port();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        server.close();
        // A quiet period lets io_uring deliver the cancellations of reads still pending on the closed connections,
        // which is when their buffers are released; with none, the loop can exit first and the buffers leak.
        group.shutdownGracefully(100, 1_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        api.close();
    }

    private static final class Backend implements AdminBackend {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public String metrics() {
            return "# test\n";
        }

        @Override
        public JsonNode config() {
            return JSON.createObjectNode().put("version", "test");
        }

        @Override
        public JsonNode clusters() {
            return JSON.createObjectNode();
        }

        @Override
        public CompletionStage<ReloadResult> reload() {
            return CompletableFuture.completedFuture(ReloadResult.applied("test"));
        }
    }
}
