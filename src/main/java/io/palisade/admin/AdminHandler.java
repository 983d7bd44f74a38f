package io.palisade.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.palisade.metrics.GatewayMetrics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One method per admin resource; anything else is a JSON 404/405. */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final AdminBackend backend;

    AdminHandler(AdminBackend backend) {
        this.backend = backend;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            send(ctx, false, HttpResponseStatus.BAD_REQUEST, error("malformed_request", "Malformed request."));
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        HttpMethod method = req.method();
        try {
            switch (path) {
                case "/healthz" -> get(ctx, keepAlive, method, () -> json(status("ok")));
                case "/readyz" -> readyz(ctx, keepAlive, method);
                case "/metrics" -> metrics(ctx, keepAlive, method);
                case "/config" -> get(ctx, keepAlive, method, () -> json(backend.config()));
                case "/clusters" -> get(ctx, keepAlive, method, () -> json(backend.clusters()));
                case "/config/reload" -> reload(ctx, keepAlive, method);
                default -> send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND,
                        error("not_found", "No admin resource at this path."));
            }
        } catch (RuntimeException e) {
            log.warn("admin request {} {} failed", method, path, e);
            send(ctx, false, HttpResponseStatus.INTERNAL_SERVER_ERROR, error("internal_error", "Admin request failed."));
        }
    }

    private interface Body {
        byte[] get();
    }

    private void get(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method, Body body) {
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            methodNotAllowed(ctx, keepAlive, "GET, HEAD");
            return;
        }
        send(ctx, keepAlive, HttpResponseStatus.OK, body.get());
    }

    private void readyz(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method) {
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            methodNotAllowed(ctx, keepAlive, "GET, HEAD");
            return;
        }
        boolean ready = backend.ready();
        send(ctx, keepAlive, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                json(status(ready ? "ready" : "not_ready")));
    }

    private void metrics(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method) {
        if (method != HttpMethod.GET) {
            methodNotAllowed(ctx, keepAlive, "GET");
            return;
        }
        byte[] text = backend.metrics().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = response(HttpResponseStatus.OK, text, GatewayMetrics.contentType());
        write(ctx, keepAlive, r);
    }

    private void reload(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method) {
        if (method != HttpMethod.POST) {
            methodNotAllowed(ctx, keepAlive, "POST");
            return;
        }
        CompletionStage<ReloadResult> result = backend.reload();
        result.whenComplete((r, e) -> {
            if (e != null) {
                log.warn("reload failed", e);
                send(ctx, false, HttpResponseStatus.INTERNAL_SERVER_ERROR, error("internal_error", "Reload failed."));
                return;
            }
            ObjectNode body = JSON.createObjectNode();
            body.put("applied", r.applied());
            body.put("version", r.version());
            body.putPOJO("errors", r.errors());
            send(ctx, keepAlive, r.applied() ? HttpResponseStatus.OK : HttpResponseStatus.UNPROCESSABLE_ENTITY,
                    json(body));
        });
    }

    private void methodNotAllowed(ChannelHandlerContext ctx, boolean keepAlive, String allow) {
        FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED,
                error("method_not_allowed", "Method not allowed."), "application/json");
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        write(ctx, keepAlive, r);
    }

    private static ObjectNode status(String s) {
        return JSON.createObjectNode().put("status", s);
    }

    private static byte[] error(String code, String message) {
        return json(JSON.createObjectNode().put("error", code).put("message", message));
    }

    private static byte[] json(Object node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body) {
        write(ctx, keepAlive, response(status, body, "application/json"));
    }

    private static FullHttpResponse response(HttpResponseStatus status, byte[] body, String type) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return r;
    }

    private static void write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(r);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
