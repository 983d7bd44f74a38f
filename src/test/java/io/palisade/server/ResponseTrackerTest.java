package io.palisade.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.palisade.error.ErrorKind;
import io.palisade.error.GatewayException;
import io.palisade.server.ResponseTracker.Write;
import org.junit.jupiter.api.Test;

/** One exchange's rules for what the proxy may write, and the framing fixes applied to the response it writes. */
class ResponseTrackerTest {
    private static ResponseTracker tracker(HttpVersion version, HttpMethod method, String... headers) {
        HttpRequest request = new DefaultHttpRequest(version, method, "/");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return new ResponseTracker().start("id-1", request, 0);
    }

    private static HttpResponse head(int status, String... headers) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        for (int i = 0; i < headers.length; i += 2) {
            response.headers().add(headers[i], headers[i + 1]);
        }
        return response;
    }

    @Test
    void interimThenFinalResponse_passes_andEndsOnItsLastContent() {
        ResponseTracker t = tracker(HttpVersion.HTTP_1_1, HttpMethod.POST);
        DefaultFullHttpResponse interim = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.CONTINUE);
        assertThat(t.onWrite(interim, false)).isEqualTo(Write.PASS);
        interim.release();
        assertThat(t.responseDone()).isFalse();
        assertThat(t.onWrite(head(200, "content-length", "2"), false)).isEqualTo(Write.PASS);
        HttpContent part = new DefaultHttpContent(Unpooled.EMPTY_BUFFER);
        assertThat(t.onWrite(part, false)).isEqualTo(Write.PASS);
        assertThat(t.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST);
        assertThat(t.responseDone()).isTrue();
    }

    @Test
    void contentBeforeAResponse_orASecondResponse_isRefused() {
        ResponseTracker t = tracker(HttpVersion.HTTP_1_1, HttpMethod.GET);
        assertThat(t.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.REFUSE);
        assertThat(t.onWrite(head(200, "content-length", "0"), false)).isEqualTo(Write.PASS);
        assertThat(t.onWrite(head(200, "content-length", "0"), false)).isEqualTo(Write.REFUSE);
        assertThat(t.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST);
        assertThat(t.onWrite(head(500, "content-length", "0"), false)).isEqualTo(Write.REFUSE);
    }

    @Test
    void chunkedResponseToAnHttp10Client_losesItsCoding_andIsDelimitedByTheClose() {
        ResponseTracker t = tracker(HttpVersion.HTTP_1_0, HttpMethod.GET, "connection", "keep-alive");
        HttpResponse r = head(200, "transfer-encoding", "chunked");
        assertThat(t.onWrite(r, false)).isEqualTo(Write.PASS);
        assertThat(r.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)).isFalse();
        assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(t.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST_THEN_CLOSE);
    }

    @Test
    void keepAliveHttp10Client_isToldSo_whenTheResponseHasALength() {
        ResponseTracker t = tracker(HttpVersion.HTTP_1_0, HttpMethod.GET, "connection", "keep-alive");
        HttpResponse r = head(200, "content-length", "0");
        assertThat(t.onWrite(r, false)).isEqualTo(Write.PASS);
        assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
        assertThat(t.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST);
    }

    @Test
    void responseWithoutLength_closes_unlessItHasNoBody() {
        ResponseTracker plain = tracker(HttpVersion.HTTP_1_1, HttpMethod.GET);
        assertThat(plain.onWrite(head(200), false)).isEqualTo(Write.PASS);
        assertThat(plain.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST_THEN_CLOSE);

        ResponseTracker toHead = tracker(HttpVersion.HTTP_1_1, HttpMethod.HEAD);
        assertThat(toHead.onWrite(head(200), false)).isEqualTo(Write.PASS);
        assertThat(toHead.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST);

        ResponseTracker notModified = tracker(HttpVersion.HTTP_1_1, HttpMethod.GET);
        assertThat(notModified.onWrite(head(304), false)).isEqualTo(Write.PASS);
        assertThat(notModified.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST);
    }

    @Test
    void closingConnection_orAClientOrProxyAskingForClose_endsTheResponseWithAClose() {
        ResponseTracker closing = tracker(HttpVersion.HTTP_1_1, HttpMethod.GET);
        HttpResponse r = head(200, "content-length", "0");
        assertThat(closing.onWrite(r, true)).isEqualTo(Write.PASS);
        assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(closing.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST_THEN_CLOSE);

        ResponseTracker client = tracker(HttpVersion.HTTP_1_1, HttpMethod.GET, "connection", "close");
        assertThat(client.onWrite(head(200, "content-length", "0"), false)).isEqualTo(Write.PASS);
        assertThat(client.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST_THEN_CLOSE);

        ResponseTracker proxy = tracker(HttpVersion.HTTP_1_1, HttpMethod.GET);
        assertThat(proxy.onWrite(head(200, "content-length", "0", "connection", "Close"), false))
                .isEqualTo(Write.PASS);
        assertThat(proxy.onWrite(LastHttpContent.EMPTY_LAST_CONTENT, false)).isEqualTo(Write.LAST_THEN_CLOSE);
    }

    @Test
    void inputMayFollow_untilTheRequestEnds_andAfterACutStream() {
        ResponseTracker t = tracker(HttpVersion.HTTP_1_1, HttpMethod.POST);
        assertThat(t.inputMayFollow()).isTrue();
        t.inboundDone = true;
        assertThat(t.inputMayFollow()).isFalse();
        t.cut();
        assertThat(t.inputMayFollow()).as("the client may still send what the failure cut off").isTrue();
    }

    @Test
    void refusedWrite_isReleased_andFailsWithWhyTheRequestWasAnswered() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ResponseTracker t = tracker(HttpVersion.HTTP_1_1, HttpMethod.POST);
        t.answered(ErrorKind.BODY_TOO_LARGE);
        HttpContent late = new DefaultHttpContent(Unpooled.copiedBuffer(new byte[] {1}));
        ChannelPromise promise = ch.newPromise();
        ResponseTracker.refuse(late, promise, t);
        assertThat(late.refCnt()).isZero();
        assertThat(promise.cause()).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.kind()).isEqualTo(ErrorKind.BODY_TOO_LARGE));

        ChannelPromise outside = ch.newPromise();
        ResponseTracker.refuse(LastHttpContent.EMPTY_LAST_CONTENT, outside, null);
        assertThat(outside.cause()).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.kind()).isEqualTo(ErrorKind.INTERNAL));
        ch.finishAndReleaseAll();
    }
}
