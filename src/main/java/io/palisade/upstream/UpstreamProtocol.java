package io.palisade.upstream;

/** {@code clusters.<name>.protocol}: what the gateway speaks to a cluster's endpoints. */
public enum UpstreamProtocol {
    /** HTTP/1.1 over keep-alive connections, one request at a time on each (the default). */
    HTTP1,
    /**
     * HTTP/2 over plain TCP with prior knowledge: one connection per endpoint and event loop, each request a stream
     * on it (gRPC servers speak this).
     */
    H2C,
    /**
     * HTTP/2 over TLS (the cluster's {@code tls:} block), negotiated with ALPN: the endpoint must select {@code h2}.
     * Connections and streams as for {@link #H2C}.
     */
    H2
}
