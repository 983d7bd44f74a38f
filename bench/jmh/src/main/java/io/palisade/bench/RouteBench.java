package io.palisade.bench;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.palisade.route.RouteLookup;
import io.palisade.route.RouteTable;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Route matching as the proxy does it per request: path normalisation, then {@link RouteTable#find}. One table with the
 * single catch-all route of the load benchmark, one with 20 routes (prefixes, exact paths, hosts, methods, a header
 * match) where the request matches the 18th.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouteBench {
    private RouteTable single;
    private RouteTable twenty;
    private HttpHeaders headers;

    @Setup
    public void setup() {
        single = RouteTable.of(BenchConfigs.parse("""
                clusters: { backend: { endpoints: [ "127.0.0.1:18000" ] } }
                routes:
                  - match: { path_prefix: / }
                    cluster: backend
                """).routes());
        StringBuilder routes = new StringBuilder("clusters: { backend: { endpoints: [ \"127.0.0.1:18000\" ] } }\nroutes:\n");
        String[] prefixes = {"/orders", "/users", "/payments", "/carts", "/search", "/inventory", "/shipping",
            "/reviews", "/catalog", "/accounts", "/invoices", "/refunds", "/coupons", "/wishlist", "/sessions"};
        for (String p : prefixes) {
            routes.append("  - match: { path_prefix: ").append(p).append(", methods: [GET, POST] }\n")
                    .append("    cluster: backend\n");
        }
        routes.append("""
                  - match: { path: /healthz }
                    cluster: backend
                  - match: { path_prefix: /api/v2, host: "*.example.com", headers: { X-Tenant: blue } }
                    cluster: backend
                  - match: { path_prefix: /api, host: api.example.com }
                    cluster: backend
                  - match: { path_prefix: /static }
                    cluster: backend
                  - match: { path_prefix: / }
                    cluster: backend
                """);
        twenty = RouteTable.of(BenchConfigs.parse(routes.toString()).routes());
        headers = new DefaultHttpHeaders();
        headers.set("Host", "api.example.com:8080");
        headers.set("User-Agent", "bench/1.0");
        headers.set("Accept", "application/json");
        headers.set("X-Tenant", "green");
    }

    @Benchmark
    public RouteLookup singleRoute() {
        Optional<String> path = RouteTable.normalizePath("/small");
        return single.find("GET", "127.0.0.1:18080", path.get(), headers);
    }

    @Benchmark
    public RouteLookup twentyRoutes_match18th() {
        Optional<String> path = RouteTable.normalizePath("/api/orders/12345/items");
        return twenty.find("GET", "api.example.com:8080", path.get(), headers);
    }

    @Benchmark
    public Optional<String> normalizePath_dotSegments() {
        return RouteTable.normalizePath("/api/./orders/../orders/12345//items");
    }
}
