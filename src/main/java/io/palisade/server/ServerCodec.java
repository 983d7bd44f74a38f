package io.palisade.server;

import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * The HTTP/1.1 server codec: {@link RequestDecoder} in, a response encoder out. Used instead of Netty's
 * {@code HttpServerCodec} because that one cannot take a decoder subclass.
 *
 * <p>Like {@code HttpServerCodec}, the encoder drops the body of a response to {@code HEAD} (keeping its
 * {@code Content-Length}), knowing the method from the order of requests. Unlike it, a {@code 1xx} interim response
 * (e.g. {@code 100 Continue}) does not consume a request's entry, so the final response to a {@code HEAD} that sent
 * {@code Expect: 100-continue} is still treated as one.
 */
final class ServerCodec extends CombinedChannelDuplexHandler<RequestDecoder, ServerCodec.ResponseEncoder> {
    ServerCodec(HttpDecoderConfig config) {
        Queue<HttpMethod> methods = new ArrayDeque<>();
        init(new RequestDecoder(config, methods), new ResponseEncoder(methods));
    }

    static final class ResponseEncoder extends HttpResponseEncoder {
        private final Queue<HttpMethod> methods;

        ResponseEncoder(Queue<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            return HttpMethod.HEAD.equals(methods.poll()) || super.isContentAlwaysEmpty(msg);
        }
    }
}
