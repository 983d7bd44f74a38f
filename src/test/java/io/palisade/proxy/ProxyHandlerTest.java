package io.palisade.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.auth.ApiKeys;
import io.palisade.server.ProtocolHandlers;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The proxy handler at the end of a client pipeline (the protocol handlers, then the proxy), on an
 * {@link EmbeddedChannel}: raw request bytes in, the bytes a client would receive out. The proxy runtime is the one of
 * a real gateway in this JVM (on a fake ticker), so routes, filters and clusters are wired as in production.
 *
 * <p>These are the proxy's answers that need no upstream connection: routing errors, policy rejections, bodies refused
 * from the head, a request parked for its body, drains, aborts and closes. An exchange opens its upstream connection
 * on its client connection's own event loop, which an {@code EmbeddedChannel}'s loop cannot host; proxying to an
 * upstream is tested through sockets in {@link ProxyIntegrationTest}.
 */
class ProxyHandlerTest {
    @RegisterExtension
    static final Gateways GATEWAYS = Gateways.onFakeTime(1);
    private static final ApiKeys.GeneratedKey ACME = ApiKeys.generate();
    private static final ApiKeys.GeneratedKey OTHER = ApiKeys.generate();
    private static final Pattern REQUEST_ID = Pattern.compile("\"request_id\":\"([^\"]+)\"");

    private static GatewayFixture gateway;
    private static ProxyRuntime runtime;
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @BeforeAll
    static void start() {
        gateway = startGateway();
        runtime = gateway.runtime();
    }

    /** A gateway for these tests; the one started in {@code @BeforeAll} is shared, one started in a test is its own. */
    private static GatewayFixture startGateway() {
        // Nothing listens on the clusters' port: no test here may reach an upstream.
        int closed = closedPort();
        return GATEWAYS.start("""
                consumers:
                  acme: { groups: [orders], api_keys: [ { sha256: "%s" } ] }
                  other: { groups: [billing], api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key }
                clusters:
                  app: { endpoints: [ "127.0.0.1:%d" ] }
                  down:
                    endpoints: [ "127.0.0.1:%d" ]
                    health_check: { path: /healthz, interval: 100ms, timeout: 50ms, unhealthy_after: 1, healthy_after: 1 }
                routes:
                  - name: orders
                    match: { path_prefix: /orders, methods: [GET, POST] }
                    cluster: app
                    auth: { any_of: [api_key], groups: [orders] }
                  - name: limited
                    match: { path_prefix: /limited }
                    cluster: app
                    auth: { any_of: [api_key] }
                    rate_limits: [ { key: route, rate: 1/d, before_auth: true, name: daily } ]
                  - name: ingest
                    match: { path_prefix: /ingest, methods: [POST] }
                    cluster: app
                    request: { max_body: 1KiB, require_body: true }
                  - name: down
                    match: { path_prefix: /down }
                    cluster: down
                """.formatted(ACME.sha256Hex(), OTHER.sha256Hex(), closed, closed));
    }

    @AfterEach
    void finish() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    private EmbeddedChannel client() {
        return client(gateway);
    }

    /** A client connection whose pipeline is the protocol handlers and {@code gw}'s proxy handler. */
    private EmbeddedChannel client(GatewayFixture gw) {
        var limits = gw.gateway().config().server().limits();
        ProxyRuntime proxy = gw.runtime();
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                ProtocolHandlers.install(c.pipeline(), limits, ProtocolHandlers.connectionLimiter(limits));
                c.pipeline().addLast("proxy", proxy.newHandler());
            }
        });
        channels.add(ch);
        return ch;
    }

    // ------------------------------------------------------------------------------------------------ routing

    @Test
    void unknownPath_is404WithItsRequestId_andTheConnectionServesTheNextRequest() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("GET /nope HTTP/1.1\r\nHost: a\r\nX-Request-Id: req-1\r\n\r\n"));
        Response missing = single(ch);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.error()).isEqualTo("route_not_found");
        assertThat(missing.header("x-request-id")).isEqualTo("req-1");
        assertThat(missing.requestIdInBody()).isEqualTo("req-1");
        assertThat(missing.header("connection")).isNull();
        assertThat(ch.isOpen()).isTrue();

        ch.writeInbound(bytes("GET /nope/again HTTP/1.1\r\nHost: a\r\n\r\n"));
        Response next = single(ch);
        assertThat(next.status()).isEqualTo(404);
        assertThat(next.requestIdInBody()).as("a generated id").isNotBlank().isNotEqualTo("req-1");
    }

    @Test
    void wrongMethod_is405WithAllow() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("DELETE /orders/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.error()).isEqualTo("method_not_allowed");
        assertThat(r.header("allow")).isEqualTo("GET, POST");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void absoluteFormTarget_isRoutedByItsPath() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("GET http://a/orders/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(single(ch).status()).as("the orders route, which wants a key").isEqualTo(401);
        ch.writeInbound(bytes("GET http://a/elsewhere HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(single(ch).status()).isEqualTo(404);
    }

    @Test
    void pathClimbingAboveTheRoot_is400_andClosesTheConnection() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("GET /orders/../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n"));
        ch.runPendingTasks();
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("malformed_request");
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
    }

    // ------------------------------------------------------------------------------------------------ policy

    @Test
    void noKeyOrAnUnknownKey_is401_aKnownKeyOutsideTheRoutesGroups_is403() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("GET /orders/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
        Response none = single(ch);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.error()).isEqualTo("unauthenticated");

        ch.writeInbound(bytes("GET /orders/1 HTTP/1.1\r\nHost: a\r\nX-Api-Key: pk_unknown\r\n\r\n"));
        assertThat(single(ch).status()).isEqualTo(401);

        ch.writeInbound(bytes("GET /orders/1 HTTP/1.1\r\nHost: a\r\nX-Api-Key: " + OTHER.key() + "\r\n\r\n"));
        Response forbidden = single(ch);
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.error()).isEqualTo("forbidden");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void overTheRoutesLimit_is429WithTheExactRetryAfter_beforeAuthIsAsked() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("GET /limited/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(single(ch).status()).as("the day's one request, without a key").isEqualTo(401);

        ch.writeInbound(bytes("GET /limited/2 HTTP/1.1\r\nHost: a\r\nX-Api-Key: " + ACME.key() + "\r\n\r\n"));
        Response limited = single(ch);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.error()).isEqualTo("rate_limited");
        // 1/d on a ticker that has not moved: the next request is a whole day away.
        assertThat(limited.header("retry-after")).isEqualTo("86400");
        assertThat(limited.header("ratelimit")).isEqualTo("\"daily\";r=0;t=86400");
        assertThat(ch.isOpen()).isTrue();
    }

    // ------------------------------------------------------------------------------------------------ bodies

    @Test
    void declaredBodyOverTheRoutesMax_is413_beforeAnyOfItIsRead() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("POST /ingest HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n"));
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.error()).isEqualTo("body_too_large");
    }

    @Test
    void emptyBodyOnARouteThatRequiresOne_is400_andTheConnectionServesTheNextRequest() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("POST /ingest HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("body_required");
        ch.writeInbound(bytes("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(single(ch).status()).isEqualTo(404);
    }

    @Test
    void chunkedUploadExpectingContinue_gets100OncePolicyPasses_thenAnEmptyBodyIs400() {
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("POST /ingest HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                + "Expect: 100-continue\r\n\r\n"));
        Response interim = single(ch);
        assertThat(interim.status()).isEqualTo(100);

        ch.writeInbound(bytes("0\r\n\r\n"));
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).isEqualTo("body_required");
    }

    // ------------------------------------------------------------------------------------------------ upstreams

    @Test
    void clusterWithNoHealthyEndpoint_is503WithRetryAfter() {
        awaitUnhealthy("down");
        EmbeddedChannel ch = client();
        ch.writeInbound(bytes("GET /down/1 HTTP/1.1\r\nHost: a\r\n\r\n"));
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.error()).isEqualTo("no_healthy_upstream");
        assertThat(r.header("retry-after")).isNotNull();
        assertThat(ch.isOpen()).isTrue();
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    @Test
    void drainOfAnIdleConnection_closesIt() {
        GatewayFixture own = startGateway(); // a drain is for good: not on the shared gateway
        EmbeddedChannel ch = client(own);
        ch.writeInbound(bytes("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertThat(single(ch).status()).isEqualTo(404);

        own.runtime().drain();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void drainWhileARequestWaitsForItsBody_answersThatRequestWithConnectionClose_thenCloses() {
        GatewayFixture own = startGateway();
        EmbeddedChannel ch = parkedForBody(client(own));

        own.runtime().drain();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).as("the request in progress is answered first").isTrue();

        ch.writeInbound(bytes("0\r\n\r\n"));
        ch.runPendingTasks();
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header("connection")).isEqualTo("close");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void clientClosingWhileARequestWaitsForItsBody_endsTheExchange() {
        long before = runtime.inflight();
        EmbeddedChannel ch = parkedForBody();
        assertThat(runtime.inflight()).isEqualTo(before + 1);

        ch.close();
        ch.runPendingTasks();
        assertThat(runtime.inflight()).isEqualTo(before);
        assertThat(ch.outboundMessages()).isEmpty();
    }

    @Test
    void brokenChunkWhileARequestWaitsForItsBody_is400_andClosesTheConnection() {
        long before = runtime.inflight();
        EmbeddedChannel ch = parkedForBody();

        ch.writeInbound(bytes("zz\r\n"));
        ch.runPendingTasks();
        Response r = single(ch);
        assertThat(r.status()).isEqualTo(400);
        assertThat(ch.isOpen()).isFalse();
        assertThat(runtime.inflight()).isEqualTo(before);
    }

    @Test
    void aSecondRequestWhileOneIsServed_breaksTheValidatorsContract_andClosesTheConnection() {
        EmbeddedChannel ch = parkedForBody();

        // The validator holds pipelined requests back; this one is handed to the proxy past it.
        ch.pipeline().context(ProtocolHandlers.REQUEST_VALIDATOR).fireChannelRead(
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/nope", Unpooled.buffer(0)));
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void resetByTheClient_closesTheConnectionWithoutAnAnswer() {
        EmbeddedChannel ch = client();
        ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.outboundMessages()).isEmpty();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A chunked upload on the route that requires a body, past policy and waiting for its first chunk. */
    private EmbeddedChannel parkedForBody() {
        return parkedForBody(client());
    }

    private static EmbeddedChannel parkedForBody(EmbeddedChannel ch) {
        ch.writeInbound(bytes("POST /ingest HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
        ch.runPendingTasks();
        assertThat(ch.outboundMessages()).as("nothing answered yet").isEmpty();
        assertThat(ch.isOpen()).isTrue();
        return ch;
    }

    private static void awaitUnhealthy(String cluster) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> gateway.admin("GET", "/clusters").body().replace(" ", "")
                        .matches("(?s).*\"name\":\"" + cluster + "\".*\"health\":\"UNHEALTHY\".*"));
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** Exactly one response was written (and flushed) to the client; the buffers are released. */
    private static Response single(EmbeddedChannel ch) {
        StringBuilder raw = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            try {
                raw.append(b.toString(StandardCharsets.ISO_8859_1));
            } finally {
                b.release();
            }
        }
        List<Response> responses = Response.parse(raw.toString());
        assertThat(responses).as("responses in %s", raw).hasSize(1);
        return responses.get(0);
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A response as the client reads it: Content-Length framed, or a 1xx without a body. */
    private record Response(int status, Map<String, String> headers, String body) {
        static List<Response> parse(String raw) {
            List<Response> out = new ArrayList<>();
            int pos = 0;
            while (pos < raw.length()) {
                int headEnd = raw.indexOf("\r\n\r\n", pos);
                assertThat(headEnd).as("a complete response head in %s", raw.substring(pos)).isNotNegative();
                String[] lines = raw.substring(pos, headEnd).split("\r\n");
                Map<String, String> headers = new LinkedHashMap<>();
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).strip());
                }
                int status = Integer.parseInt(lines[0].split(" ", 3)[1]);
                int length = status < 200 ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
                int bodyStart = headEnd + 4;
                out.add(new Response(status, headers, raw.substring(bodyStart, bodyStart + length)));
                pos = bodyStart + length;
            }
            return out;
        }

        String header(String name) {
            return headers.get(name);
        }

        String error() {
            Matcher m = Pattern.compile("\"error\":\"([^\"]+)\"").matcher(body);
            return m.find() ? m.group(1) : null;
        }

        String requestIdInBody() {
            Matcher m = REQUEST_ID.matcher(body);
            return m.find() ? m.group(1) : null;
        }
    }
}
