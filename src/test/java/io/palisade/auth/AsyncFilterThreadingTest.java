package io.palisade.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.filter.FilterResult;
import io.palisade.filter.RequestContext;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.testing.FakeTicker;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An asynchronous auth decision completes on the HTTP client's thread; what it changes of the exchange (headers, URI,
 * consumer) must be changed on the exchange's event loop, which alone touches the exchange (issue 9, defect 2).
 */
class AsyncFilterThreadingTest {
    private final AuthTesting.TestServer server = new AuthTesting.TestServer();
    private final EventLoop loop = new DefaultEventLoop();
    private AuthService auth;

    @AfterEach
    void stop() {
        if (auth != null) {
            auth.close();
        }
        server.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void externalDecision_isAppliedOnTheExchangesEventLoop() throws Exception {
        Yaml y = Yaml.of("""
                auth:
                  external:
                    policy: { url: %s, timeout: 2s }
                routes:
                  - auth: { any_of: [external:policy] }
                """.formatted(server.url("/check")));
        y.errors.throwIfAny();
        server.answer(200, "{\"allow\": true, \"consumer\": \"acme\"}");
        auth = AuthService.create(y.settings, new FakeTicker(), Clock.systemUTC());
        AuthFilter filter = AuthFilter.create(auth, auth.prepare(y.settings), List.of(y.route(0)),
                new GatewayMetrics());
        RecordingContext ctx = new RecordingContext(loop);

        CompletionStage<FilterResult> stage = loop.submit(() -> filter.filter(ctx)).get(5, TimeUnit.SECONDS);
        FilterResult result = stage.toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.proceeds()).isTrue();
        assertThat(ctx.consumer).contains("acme");
        assertThat(ctx.consumerSetOnLoop).as("consumer set on the exchange's event loop").isTrue();
    }

    private static final class RecordingContext implements RequestContext {
        private final EventLoop loop;
        private final HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x",
                new DefaultHttpHeaders().add("Authorization", "Bearer t"));
        private final HttpHeaders responseHeaders = new DefaultHttpHeaders();
        volatile Optional<String> consumer = Optional.empty();
        volatile boolean consumerSetOnLoop;

        RecordingContext(EventLoop loop) {
            this.loop = loop;
        }

        @Override
        public HttpRequest request() {
            return request;
        }

        @Override
        public String path() {
            return "/x";
        }

        @Override
        public String query() {
            return "";
        }

        @Override
        public String clientIp() {
            return "127.0.0.1";
        }

        @Override
        public String requestId() {
            return "r1";
        }

        @Override
        public String routeId() {
            return "r";
        }

        @Override
        public int routeIndex() {
            return 0;
        }

        @Override
        public String upstreamCluster() {
            return "c";
        }

        @Override
        public EventLoop eventLoop() {
            return loop;
        }

        @Override
        public Optional<String> consumer() {
            return consumer;
        }

        @Override
        public void consumer(String consumerId) {
            consumerSetOnLoop = loop.inEventLoop();
            consumer = Optional.of(consumerId);
        }

        @Override
        public HttpHeaders responseHeaders() {
            return responseHeaders;
        }

        @Override
        public void onComplete(CompletionListener action) {
            throw new UnsupportedOperationException("not used by the auth filter");
        }
    }
}
