package io.palisade.admin;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the admin handler needs of one request, copied out of Netty's buffers: the answer may come later, from the
 * release manager's thread, after the request's buffer is released. The body is at most 1 MiB (the aggregator's
 * limit).
 *
 * @param path the path as sent, not percent-decoded: admin paths are plain ASCII
 */
record AdminRequest(HttpMethod method, String path, Map<String, List<String>> query,
                    Optional<String> authorization, boolean keepAlive, byte[] body) {
    static AdminRequest of(FullHttpRequest req) {
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        Map<String, List<String>> query = new QueryStringDecoder(uri).parameters();
        return new AdminRequest(req.method(), path, query,
                Optional.ofNullable(req.headers().get(HttpHeaderNames.AUTHORIZATION)), HttpUtil.isKeepAlive(req),
                ByteBufUtil.getBytes(req.content()));
    }

    boolean reads() {
        return method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
    }

    Optional<String> param(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getLast());
    }
}
