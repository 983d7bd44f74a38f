package io.palisade.server;

/**
 * User event fired by the codec when the first byte of a request line arrives (leading CR/LF and other control bytes,
 * which HTTP allows between requests, do not count). It starts the header read deadline in
 * {@link HeaderReadTimeoutHandler}; the {@link RequestValidator} swallows it so the proxy never sees it.
 */
enum RequestHeadStarted {
    INSTANCE
}
