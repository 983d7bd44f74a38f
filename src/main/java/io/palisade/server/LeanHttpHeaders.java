package io.palisade.server;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Netty's {@link DefaultHttpHeaders}, with the same validation, whose queries for a name that is not there allocate
 * nothing.
 *
 * <p>{@code DefaultHttpHeaders} builds an iterator (and a list for {@code getAll}) on every {@code containsValue},
 * {@code valueStringIterator} and {@code getAll}, whether the name is there or not, and {@code HttpUtil.isKeepAlive}
 * and {@code isTransferEncodingChunked} go through them: a proxied request asks about its and its response's absent
 * {@code Connection} and {@code Transfer-Encoding} about a dozen times on its way through decoders, validator, proxy
 * and encoders. Here an absent name costs one hash lookup and returns a shared empty list or iterator; a present one
 * costs that lookup on top of the usual iteration.
 */
public class LeanHttpHeaders extends DefaultHttpHeaders {
    private static final HttpHeadersFactory HEADERS = new Factory(DefaultHttpHeadersFactory.headersFactory(), 16);
    /** Trailers are rare and few: a small table, not the 16 buckets a head gets. */
    private static final HttpHeadersFactory TRAILERS = new Factory(DefaultHttpHeadersFactory.trailersFactory(), 2);

    /** Validates like {@code DefaultHttpHeadersFactory.headersFactory()}. */
    LeanHttpHeaders() {
        this(DefaultHttpHeadersFactory.headersFactory(), 16);
    }

    private LeanHttpHeaders(DefaultHttpHeadersFactory validation, int sizeHint) {
        super(validation.getNameValidator(), validation.getValueValidator(), sizeHint);
    }

    /** For message heads: validates names and values like {@code DefaultHttpHeadersFactory.headersFactory()}. */
    public static HttpHeadersFactory headersFactory() {
        return HEADERS;
    }

    /** For trailers: validates like {@code DefaultHttpHeadersFactory.trailersFactory()}, sized for few entries. */
    public static HttpHeadersFactory trailersFactory() {
        return TRAILERS;
    }

    @Override
    public List<String> getAll(CharSequence name) {
        return contains(name) ? super.getAll(name) : Collections.emptyList();
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        return contains(name) ? super.valueStringIterator(name) : Collections.emptyIterator();
    }

    @Override
    public Iterator<CharSequence> valueCharSequenceIterator(CharSequence name) {
        return contains(name) ? super.valueCharSequenceIterator(name) : Collections.emptyIterator();
    }

    private record Factory(DefaultHttpHeadersFactory validation, int sizeHint) implements HttpHeadersFactory {
        @Override
        public HttpHeaders newHeaders() {
            return new LeanHttpHeaders(validation, sizeHint);
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new LeanHttpHeaders(validation, sizeHint);
        }
    }
}
