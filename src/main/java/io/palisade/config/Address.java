package io.palisade.config;

/** A host and port as written in the config, resolved only when connecting or binding. */
public record Address(String host, int port) {
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
