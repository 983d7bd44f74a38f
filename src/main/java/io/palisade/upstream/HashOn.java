package io.palisade.upstream;

/**
 * What a consistent-hash balancer hashes: {@code header:X-Tenant}, {@code client_ip}, {@code path} or
 * {@code query:tenant}.
 */
public record HashOn(Source source, String name) {
    public enum Source { HEADER, CLIENT_IP, PATH, QUERY }
}
