package io.palisade.bench;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.auth.ApiKeys;
import io.palisade.auth.AuthFilter;
import io.palisade.auth.AuthHeaders;
import io.palisade.auth.AuthService;
import io.palisade.gateway.GatewayConfig;
import io.palisade.route.RouteConfig;
import io.palisade.metrics.GatewayMetrics;
import io.palisade.filter.FilterResult;
import io.palisade.filter.GatewayFilter;
import io.palisade.filter.RequestContext;
import io.palisade.ratelimit.Phase;
import io.palisade.ratelimit.RateLimitFilter;
import io.palisade.ratelimit.RateLimiter;
import io.palisade.ratelimit.RouteLimits;
import io.palisade.time.Ticker;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The load benchmark's {@code policy} scenario without the network: the gateway's auth filter (API key in
 * {@code X-Api-Key}, one consumer) and its after-auth rate-limit filter ({@code key: consumer, rate: 1000000/s,
 * burst: 1000000}, never refusing) on a {@code GET /policy/small} like wrk's, one keep-alive client sending the same
 * key every time. The filters are built from the real config loader the way {@code FilterChainFactory} builds them and
 * run the way the proxy's exchange runs its chain (synchronous results taken with {@code join}).
 *
 * <ul>
 *   <li>{@link #policy}: both filters, what a request on {@code /policy} pays for policy;</li>
 *   <li>{@link #auth} and {@link #rateLimit}: each filter alone (for the rate limit the consumer is set as auth
 *       would);</li>
 *   <li>{@link #baseline}: only what every benchmark does to make the next request: a fresh key string (as the
 *       decoder makes one per request), the key header put back and the identity headers taken off. Subtract it.</li>
 * </ul>
 *
 * <p>The context stands in for the proxy's exchange and allocates the response headers the way it does: lazily, on
 * the first {@code responseHeaders()} call of a request. The limiter's ticker runs 64 times faster than real time, as
 * in {@link LimiterBench}, so the bucket never runs dry; a refused request fails the iteration.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyBench {
    private static final String KEY = "pk_3q2-7wEjVAKpPPvFQx0sfgnqBi9QYl1mVOKNkDFUm5M";

    private AuthService auth;
    private RateLimiter limiter;
    private GatewayFilter authFilter;
    private GatewayFilter rateLimitFilter;
    private Context ctx;
    private char[] keyChars;
    private long refused;

    @Setup(Level.Trial)
    public void setup() {
        GatewayConfig config = BenchConfigs.parse("""
                clusters:
                  backend: { endpoints: [ "127.0.0.1:18000" ] }
                consumers: { acme: { groups: [bench], api_keys: [ { sha256: "%s" } ] } }
                auth: { api_key: { header: X-Api-Key } }
                routes:
                  - match: { path_prefix: /policy }
                    cluster: backend
                    auth: { any_of: [api_key] }
                    rate_limits: [ { key: consumer, rate: 1000000/s, burst: 1000000 } ]
                  - match: { path_prefix: / }
                    cluster: backend
                """.formatted(ApiKeys.sha256Hex(KEY)));
        List<RouteConfig> routes = config.routes();
        List<RouteLimits> limits = routes.stream().map(RouteConfig::limits).toList();
        Ticker fast = () -> System.nanoTime() << 6;
        auth = AuthService.builder(config.auth()).build();
        limiter = RateLimiter.local(config.rateLimiting(), fast);
        authFilter = AuthFilter.create(auth, auth.prepare(config.auth()),
                routes.stream().map(RouteConfig::auth).toList(), new GatewayMetrics());
        rateLimitFilter = RateLimitFilter.create(limiter, limits, Phase.AFTER_AUTH);
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/policy/small");
        request.headers().set("Host", "127.0.0.1:18080");
        ctx = new Context(request, routes.get(0), 0);
        keyChars = KEY.toCharArray();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        auth.close();
        limiter.close();
    }

    @TearDown(Level.Iteration)
    public void checkRefusals() {
        if (refused > 0) {
            throw new IllegalStateException(refused + " requests refused: the benchmark measured rejections");
        }
    }

    @Benchmark
    public Object policy() {
        nextRequest();
        run(authFilter);
        run(rateLimitFilter);
        return ctx.extraResponseHeaders;
    }

    @Benchmark
    public Object auth() {
        nextRequest();
        run(authFilter);
        return ctx.consumer;
    }

    @Benchmark
    public Object rateLimit() {
        nextRequest();
        ctx.consumer = "acme";
        run(rateLimitFilter);
        return ctx.extraResponseHeaders;
    }

    @Benchmark
    public Object baseline() {
        nextRequest();
        return ctx.request.headers();
    }

    private void nextRequest() {
        HttpHeaders h = ctx.request.headers();
        h.remove(AuthHeaders.CONSUMER_ID);
        h.remove(AuthHeaders.CONSUMER_GROUPS);
        h.set("X-Api-Key", new String(keyChars));
        ctx.consumer = null;
        ctx.extraResponseHeaders = null;
    }

    private void run(GatewayFilter filter) {
        FilterResult r = filter.filter(ctx).toCompletableFuture().join();
        if (!r.proceeds()) {
            refused++;
        }
    }

    /**
     * Stands in for the proxy's exchange, the one production {@link RequestContext}: the parts the two filters use,
     * with the exchange's allocation (response headers made on first use).
     */
    private static final class Context implements RequestContext {
        final HttpRequest request;
        final RouteConfig route;
        final int routeIndex;
        String consumer;
        HttpHeaders extraResponseHeaders;

        Context(HttpRequest request, RouteConfig route, int routeIndex) {
            this.request = request;
            this.route = route;
            this.routeIndex = routeIndex;
        }

        @Override
        public HttpRequest request() {
            return request;
        }

        @Override
        public String path() {
            return "/policy/small";
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
            return "bench";
        }

        @Override
        public String routeId() {
            return route.id();
        }

        @Override
        public int routeIndex() {
            return routeIndex;
        }

        @Override
        public String upstreamCluster() {
            return route.clusters().get(0).name();
        }

        @Override
        public EventLoop eventLoop() {
            throw new UnsupportedOperationException("the policy filters decide synchronously");
        }

        @Override
        public Optional<String> consumer() {
            return Optional.ofNullable(consumer);
        }

        @Override
        public void consumer(String consumerId) {
            consumer = consumerId;
        }

        @Override
        public HttpHeaders responseHeaders() {
            if (extraResponseHeaders == null) {
                extraResponseHeaders = new DefaultHttpHeaders();
            }
            return extraResponseHeaders;
        }

        @Override
        public void onComplete(CompletionListener action) {
            throw new UnsupportedOperationException("no completion listener on this path");
        }
    }
}
