package io.palisade.overload;

/**
 * What the data path asks the overload manager per request. Cheap: two volatile reads.
 *
 * <pre>{@code
 * if (overload.shedRequest()) { answer 503 overloaded; }
 * else if (overload.stopKeepAlive()) { close the connection after the response; }
 * }</pre>
 */
public interface OverloadState {
    /** Whether responses should close their connection now (HTTP/1.1 {@code Connection: close}). */
    boolean stopKeepAlive();

    /** Whether the request asking must be shed (503 {@code overloaded}); a true answer is counted as one shed. */
    boolean shedRequest();

    /** Never overloaded: for tests and listeners without a manager. */
    static OverloadState none() {
        return None.INSTANCE;
    }

    /** The state that is never overloaded. */
    enum None implements OverloadState {
        INSTANCE;

        @Override
        public boolean stopKeepAlive() {
            return false;
        }

        @Override
        public boolean shedRequest() {
            return false;
        }
    }
}
