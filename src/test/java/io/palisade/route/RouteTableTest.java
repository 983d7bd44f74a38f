package io.palisade.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.palisade.gateway.ConfigLoader;
import io.palisade.gateway.GatewayConfig;
import io.palisade.error.ErrorKind;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTableTest {
    private static final HttpHeaders NO_HEADERS = EmptyHttpHeaders.INSTANCE;

    // ---------------------------------------------------------------- builders

    private static RouteConfig prefix(String id, String prefix) {
        return route(id, Optional.of(prefix), Optional.empty(), Set.of(), Optional.empty(), Map.of(), false);
    }

    private static RouteConfig exact(String id, String path) {
        return route(id, Optional.empty(), Optional.of(path), Set.of(), Optional.empty(), Map.of(), false);
    }

    private static RouteConfig withMethods(RouteConfig r, String... methods) {
        RouteMatch m = r.match();
        return route(r.id(), m.pathPrefix(), m.path(), new LinkedHashSet<>(List.of(methods)), m.host(), m.headers(),
                r.stripPrefix());
    }

    private static RouteConfig withHost(RouteConfig r, String host) {
        RouteMatch m = r.match();
        return route(r.id(), m.pathPrefix(), m.path(), m.methods(), Optional.of(host), m.headers(), r.stripPrefix());
    }

    private static RouteConfig withHeaders(RouteConfig r, String... nameValues) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            headers.put(nameValues[i], nameValues[i + 1]);
        }
        RouteMatch m = r.match();
        return route(r.id(), m.pathPrefix(), m.path(), m.methods(), m.host(), headers, r.stripPrefix());
    }

    private static RouteConfig stripping(RouteConfig r) {
        RouteMatch m = r.match();
        return route(r.id(), m.pathPrefix(), m.path(), m.methods(), m.host(), m.headers(), true);
    }

    private static RouteConfig route(String id, Optional<String> prefix, Optional<String> path, Set<String> methods,
                                     Optional<String> host, Map<String, String> headers, boolean strip) {
        return new RouteConfig(id, new RouteMatch(prefix, path, methods, host, headers),
                List.of(new WeightedCluster("c", 100)), strip, Optional.empty(),
                Optional.empty(), new RequestPolicy(Optional.empty(), false), io.palisade.auth.RoutePolicy.none(),
                io.palisade.ratelimit.RouteLimits.none());
    }

    private static RouteLookup find(RouteTable t, String method, String path) {
        return t.find(method, "example.com", path, NO_HEADERS);
    }

    private static String foundId(RouteLookup lookup) {
        assertThat(lookup.kind()).as("lookup %s", lookup).isEqualTo(RouteLookup.Kind.FOUND);
        return lookup.route().orElseThrow().id();
    }

    // ---------------------------------------------------------------- paths

    @Nested
    class Paths {
        @ParameterizedTest
        @ValueSource(strings = {"/orders", "/orders/", "/orders/1", "/orders/1/items"})
        void prefix_matchesItselfAndDeeperSegments(String path) {
            RouteTable t = RouteTable.of(List.of(prefix("orders", "/orders")));
            assertThat(foundId(find(t, "GET", path))).isEqualTo("orders");
        }

        @ParameterizedTest
        @ValueSource(strings = {"/ordersx", "/order", "/Orders", "/", "/v1/orders", "/orders-eu"})
        void prefix_doesNotMatchPartialSegmentsOrOtherCase(String path) {
            RouteTable t = RouteTable.of(List.of(prefix("orders", "/orders")));
            assertThat(find(t, "GET", path).kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
        }

        @ParameterizedTest
        @ValueSource(strings = {"/", "/a", "/orders/1", "/x/y/"})
        void rootPrefix_matchesEverything(String path) {
            RouteTable t = RouteTable.of(List.of(prefix("all", "/")));
            assertThat(foundId(find(t, "GET", path))).isEqualTo("all");
        }

        @Test
        void prefixEndingInSlash_requiresTheSlash() {
            RouteTable t = RouteTable.of(List.of(prefix("orders", "/orders/")));
            assertThat(foundId(find(t, "GET", "/orders/"))).isEqualTo("orders");
            assertThat(foundId(find(t, "GET", "/orders/1"))).isEqualTo("orders");
            assertThat(find(t, "GET", "/orders").kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
        }

        @Test
        void exactPath_matchesOnlyItself() {
            RouteTable t = RouteTable.of(List.of(exact("health", "/health")));
            assertThat(foundId(find(t, "GET", "/health"))).isEqualTo("health");
            assertThat(find(t, "GET", "/health/").kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
            assertThat(find(t, "GET", "/health/x").kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
            assertThat(find(t, "GET", "/healthz").kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
        }

        @Test
        void firstMatchInFileOrderWins() {
            RouteTable t = RouteTable.of(List.of(prefix("specific", "/orders/special"), prefix("orders", "/orders"),
                    prefix("all", "/")));
            assertThat(foundId(find(t, "GET", "/orders/special/1"))).isEqualTo("specific");
            assertThat(foundId(find(t, "GET", "/orders/1"))).isEqualTo("orders");
            assertThat(foundId(find(t, "GET", "/other"))).isEqualTo("all");

            RouteTable shadowed = RouteTable.of(List.of(prefix("all", "/"), prefix("orders", "/orders")));
            assertThat(foundId(find(shadowed, "GET", "/orders/1"))).isEqualTo("all");
        }

        @Test
        void emptyTable_findsNothing() {
            assertThat(find(RouteTable.of(List.of()), "GET", "/").kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
        }

        @Test
        void routeWithoutPath_isRefusedAtBuildTime() {
            RouteConfig none = route("x", Optional.empty(), Optional.empty(), Set.of(), Optional.empty(), Map.of(),
                    false);
            assertThatThrownBy(() -> RouteTable.of(List.of(none))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("x");
        }
    }

    // ---------------------------------------------------------------- methods, 404 vs 405

    @Nested
    class Methods {
        @Test
        void wrongMethod_is405WithAllowedMethods() {
            RouteTable t = RouteTable.of(List.of(withMethods(prefix("orders", "/orders"), "GET", "HEAD")));
            RouteLookup lookup = find(t, "POST", "/orders/1");
            assertThat(lookup.kind()).isEqualTo(RouteLookup.Kind.METHOD_NOT_ALLOWED);
            assertThat(lookup.route()).isEmpty();
            assertThat(lookup.allowedMethods()).containsExactly("GET", "HEAD");
            assertThat(lookup.allowHeader()).isEqualTo("GET, HEAD");
            assertThat(lookup.error()).contains(ErrorKind.METHOD_NOT_ALLOWED);
        }

        @Test
        void noPathMatch_is404EvenWhenOtherRoutesRestrictMethods() {
            RouteTable t = RouteTable.of(List.of(withMethods(prefix("orders", "/orders"), "GET")));
            RouteLookup lookup = find(t, "POST", "/billing");
            assertThat(lookup.kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
            assertThat(lookup.allowedMethods()).isEmpty();
            assertThat(lookup.allowHeader()).isEmpty();
            assertThat(lookup.error()).contains(ErrorKind.ROUTE_NOT_FOUND);
        }

        @Test
        void hostOrHeaderMismatch_is404Not405() {
            RouteTable t = RouteTable.of(List.of(
                    withHost(withMethods(prefix("a", "/a"), "GET"), "api.example.com"),
                    withHeaders(withMethods(prefix("b", "/b"), "GET"), "X-Version", "2")));
            assertThat(t.find("POST", "other.com", "/a", NO_HEADERS).kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
            assertThat(t.find("POST", "api.example.com", "/b", NO_HEADERS).kind())
                    .isEqualTo(RouteLookup.Kind.NOT_FOUND);
        }

        @Test
        void laterRouteWithTheMethod_winsOverAnEarlier405() {
            RouteTable t = RouteTable.of(List.of(withMethods(prefix("read", "/orders"), "GET"),
                    withMethods(prefix("write", "/orders"), "POST", "PUT"), prefix("fallback", "/")));
            assertThat(foundId(find(t, "GET", "/orders"))).isEqualTo("read");
            assertThat(foundId(find(t, "PUT", "/orders/1"))).isEqualTo("write");
            assertThat(foundId(find(t, "DELETE", "/orders/1"))).isEqualTo("fallback");
        }

        @Test
        void severalRoutesMissingOnMethod_unionTheirMethodsInFileOrder() {
            RouteTable t = RouteTable.of(List.of(withMethods(prefix("read", "/orders"), "GET", "HEAD"),
                    withMethods(prefix("write", "/orders"), "POST", "GET")));
            RouteLookup lookup = find(t, "DELETE", "/orders");
            assertThat(lookup.kind()).isEqualTo(RouteLookup.Kind.METHOD_NOT_ALLOWED);
            assertThat(lookup.allowHeader()).isEqualTo("GET, HEAD, POST");
        }

        @Test
        void methodsAreCaseSensitive_andEmptyMeansAny() {
            RouteTable t = RouteTable.of(List.of(withMethods(prefix("get", "/a"), "GET"), prefix("any", "/b")));
            assertThat(find(t, "get", "/a").kind()).isEqualTo(RouteLookup.Kind.METHOD_NOT_ALLOWED);
            assertThat(foundId(find(t, "PATCH", "/b"))).isEqualTo("any");
            assertThat(foundId(find(t, "BREW", "/b"))).isEqualTo("any");
        }

        @Test
        void lookups_returnPrebuiltResults() {
            RouteTable t = RouteTable.of(List.of(withMethods(prefix("orders", "/orders"), "GET")));
            assertThat(find(t, "GET", "/orders/1")).isSameAs(find(t, "GET", "/orders/2"));
            assertThat(find(t, "POST", "/orders/1")).isSameAs(find(t, "DELETE", "/orders"));
            assertThat(find(t, "GET", "/x")).isSameAs(find(t, "POST", "/y"));
        }
    }

    // ---------------------------------------------------------------- hosts

    @Nested
    class Hosts {
        private final RouteTable table = RouteTable.of(List.of(
                withHost(prefix("api", "/"), "api.example.com"),
                withHost(prefix("tenant", "/"), "*.tenants.example.com"),
                prefix("default", "/")));

        private String idFor(String host) {
            return foundId(table.find("GET", host, "/x", NO_HEADERS));
        }

        @ParameterizedTest
        @ValueSource(strings = {"api.example.com", "API.Example.COM", "api.example.com:8080", "api.example.com.",
                "api.example.com.:443"})
        void exactHost_ignoresCasePortAndTrailingDot(String host) {
            assertThat(idFor(host)).isEqualTo("api");
        }

        @ParameterizedTest
        @ValueSource(strings = {"acme.tenants.example.com", "ACME.Tenants.example.com:8443", "a.tenants.example.com"})
        void wildcard_matchesExactlyOneExtraLabel(String host) {
            assertThat(idFor(host)).isEqualTo("tenant");
        }

        @ParameterizedTest
        @ValueSource(strings = {"tenants.example.com", "a.b.tenants.example.com", ".tenants.example.com",
                "xtenants.example.com", "api.example.com.evil.com", "apiXexample.com", "example.com", "", ":8080",
                "[::1]:8080", "[::1", "api.example.co"})
        void otherHosts_fallThrough(String host) {
            assertThat(idFor(host)).isEqualTo("default");
        }

        @Test
        void hostRoute_isNotFoundWithoutHost() {
            RouteTable t = RouteTable.of(List.of(withHost(prefix("api", "/"), "api.example.com")));
            assertThat(t.find("GET", "", "/", NO_HEADERS).kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
        }

        @CsvSource({"api.example.com, 15", "api.example.com:80, 15", "api.example.com.:80, 15",
                "api.example.com., 15", "[::1]:8080, 5", "'', 0", "a., 1", ":80, 0"})
        @ParameterizedTest
        void hostEnd_stripsPortAndRootDot(String host, int end) {
            assertThat(RouteTable.hostEnd(host)).isEqualTo(end);
        }
    }

    // ---------------------------------------------------------------- headers

    @Nested
    class Headers {
        private final RouteTable table = RouteTable.of(List.of(
                withHeaders(prefix("v2", "/"), "X-Version", "2", "X-Tenant", "acme"),
                prefix("default", "/")));

        private String idFor(HttpHeaders headers) {
            return foundId(table.find("GET", "example.com", "/", headers));
        }

        @Test
        void allHeadersWithExactValues_match_namesCaseInsensitive() {
            assertThat(idFor(new DefaultHttpHeaders().add("x-version", "2").add("X-TENANT", "acme"))).isEqualTo("v2");
        }

        @Test
        void wrongValueMissingHeaderOrValueCase_fallThrough() {
            assertThat(idFor(new DefaultHttpHeaders().add("X-Version", "3").add("X-Tenant", "acme")))
                    .isEqualTo("default");
            assertThat(idFor(new DefaultHttpHeaders().add("X-Version", "2"))).isEqualTo("default");
            assertThat(idFor(new DefaultHttpHeaders().add("X-Version", "2").add("X-Tenant", "ACME")))
                    .isEqualTo("default");
            assertThat(idFor(new DefaultHttpHeaders().add("X-Version", "2, 3").add("X-Tenant", "acme")))
                    .isEqualTo("default");
            assertThat(idFor(NO_HEADERS)).isEqualTo("default");
        }

        @Test
        void repeatedHeader_matchesWhenAnyValueIsExact() {
            assertThat(idFor(new DefaultHttpHeaders().add("X-Version", "1").add("X-Version", "2")
                    .add("X-Tenant", "acme"))).isEqualTo("v2");
        }
    }

    // ---------------------------------------------------------------- strip_prefix

    @Nested
    class Rewrite {
        @ParameterizedTest
        @CsvSource({"/orders/1?x=2, /1?x=2", "/orders, /", "/orders/, /", "/orders?x=1, /?x=1",
                "/orders/a/b, /a/b", "/orders//x, //x"})
        void stripPrefix_removesThePrefixKeepsTheQuery(String target, String expected) {
            RouteConfig r = stripping(prefix("orders", "/orders"));
            assertThat(RouteTable.rewritePath(r, target)).isEqualTo(expected);
        }

        @ParameterizedTest
        @CsvSource({"/orders/1, /1", "/orders/, /", "/orders/?q, /?q"})
        void prefixWithTrailingSlash_keepsALeadingSlash(String target, String expected) {
            assertThat(RouteTable.rewritePath(stripping(prefix("orders", "/orders/")), target)).isEqualTo(expected);
        }

        @Test
        void rootPrefix_orNoStrip_orExactPath_leaveTheTargetAlone() {
            assertThat(RouteTable.rewritePath(stripping(prefix("all", "/")), "/a/b?c")).isEqualTo("/a/b?c");
            assertThat(RouteTable.rewritePath(prefix("orders", "/orders"), "/orders/1?x")).isEqualTo("/orders/1?x");
            assertThat(RouteTable.rewritePath(exact("h", "/health"), "/health?x")).isEqualTo("/health?x");
        }

        @Test
        void targetThatDidNotMatchThePrefix_isLeftAlone() {
            RouteConfig r = stripping(prefix("orders", "/orders"));
            assertThat(RouteTable.rewritePath(r, "/ordersx/1")).isEqualTo("/ordersx/1");
            assertThat(RouteTable.rewritePath(r, "/billing")).isEqualTo("/billing");
        }
    }

    // ---------------------------------------------------------------- normalizePath

    @Nested
    class Normalize {
        @ParameterizedTest
        @ValueSource(strings = {"/", "/a", "/a/b", "/a/b/", "/a%20b", "/a%2Fb", "/a;b=c", "/..a", "/a..", "/...",
                "/.well-known/acme", "/a/b.json", "/~user", "/a:b@c!$&'()*+,;=", "/%2e%2ex", "/caf%C3%A9"})
        void cleanPaths_areReturnedAsTheSameInstance(String path) {
            assertThat(RouteTable.normalizePath(path)).containsSame(path);
        }

        @ParameterizedTest
        @CsvSource({"//, /", "//a//b, /a/b", "/a//, /a/", "/a/./b, /a/b", "/./a, /a", "/a/., /a/", "/a/../b, /b",
                "/a/b/.., /a/", "/a/.., /", "/a/b/../../c, /c", "/a/%2e%2E/b, /b", "/a/.%2e/b, /b", "/a/%2E/b, /a/b",
                "/a/..//b/, /b/", "/public/../admin, /admin", "/a/b/c/../../../d, /d"})
        void doubleSlashesAndDotSegments_areResolved(String raw, String expected) {
            assertThat(RouteTable.normalizePath(raw)).contains(expected);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "a", "*", "http://example.com/a", "/..", "/../a", "/a/../..", "/%2e%2e/a",
                "/a/../../b", "/a\u0000b", "/a\u0001", "/a b", "/a\tb", "/a\u007f", "/caf\u00e9", "/a\\b", "/a#f",
                "/a?q=1", "/%", "/%4", "/%zz", "/a%g0", "/%00", "/%0a", "/%0D%0A", "/%7F", "/a/..;x/b", "/.;/a",
                "/a/%2e%2e;x", "/\r\n"})
        void unsafePaths_areRefused(String raw) {
            assertThat(RouteTable.normalizePath(raw)).isEmpty();
        }

        @Test
        void normalisedPathsAreStable() {
            for (String raw : List.of("//a//b/./c/../d/", "/a/%2e/b//", "/x/y/z/../../")) {
                String once = RouteTable.normalizePath(raw).orElseThrow();
                assertThat(RouteTable.normalizePath(once)).containsSame(once);
            }
        }

        /** A route path the loader accepts is exactly one a normalised request path can equal. */
        @ParameterizedTest
        @ValueSource(strings = {"/", "/a", "/a/", "/a//b", "/a/./b", "/a/../b", "/a/%2e%2e", "/a b", "/a?x", "/a#x",
                "/%zz", "/%41", "/a%2Fb", "/..a", "/caf\u00e9", "/a\\\\b", "/a/..;x", "orders", "/%00"})
        void configPathRule_agreesWithNormalizePath(String path) {
            String yaml = """
                    clusters: { c: { endpoints: [ "127.0.0.1:1" ] } }
                    routes: [ { match: { path_prefix: "%s" }, cluster: c } ]
                    """.formatted(path);
            boolean loaderAccepts;
            try {
                ConfigLoader.parse(yaml, "t.yaml");
                loaderAccepts = true;
            } catch (io.palisade.config.ConfigException e) {
                loaderAccepts = false;
            }
            String unescaped = path.replace("\\\\", "\\");
            boolean stable = RouteTable.normalizePath(unescaped).filter(unescaped::equals).isPresent();
            assertThat(loaderAccepts).as("loader accepts %s", unescaped).isEqualTo(stable);
        }
    }

    // ---------------------------------------------------------------- from a real config

    @Test
    void tableFromLoadedConfig_routesAsWritten() {
        GatewayConfig config = ConfigLoader.parse("""
                clusters:
                  orders: { endpoints: [ "127.0.0.1:9001" ] }
                  static: { endpoints: [ "127.0.0.1:9002" ] }
                routes:
                  - name: orders-write
                    match: { path_prefix: /orders, methods: [post, put], host: "*.example.com" }
                    cluster: orders
                    strip_prefix: true
                  - name: orders-read
                    match: { path_prefix: /orders, methods: [GET], headers: { X-Version: 2 } }
                    cluster: orders
                  - name: static
                    match: { path_prefix: /static/ }
                    cluster: static
                """, "t.yaml");
        RouteTable t = RouteTable.of(config.routes());

        RouteLookup write = t.find("POST", "shop.example.com", "/orders/1", NO_HEADERS);
        assertThat(foundId(write)).isEqualTo("orders-write");
        assertThat(RouteTable.rewritePath(write.route().orElseThrow(), "/orders/1?dry=1")).isEqualTo("/1?dry=1");
        assertThat(foundId(t.find("GET", "x", "/orders", new DefaultHttpHeaders().add("x-version", "2"))))
                .isEqualTo("orders-read");
        assertThat(t.find("GET", "shop.example.com", "/orders", NO_HEADERS).allowHeader()).isEqualTo("POST, PUT");
        assertThat(t.find("GET", "x", "/static", NO_HEADERS).kind()).isEqualTo(RouteLookup.Kind.NOT_FOUND);
        assertThat(t.routes()).isEqualTo(config.routes());
    }
}
