package io.palisade.gateway;

import io.palisade.server.ListenerConfig;
import java.util.ArrayList;
import java.util.List;

/** What a release cannot change in a running gateway. */
final class RestartOnly {
    private RestartOnly() {}

    /**
     * Sockets, threads, the listeners' connection caps and the access log's writer are set up once; changing them
     * needs a restart, and a reload says so instead of reporting a change it did not make.
     */
    static List<String> changes(GatewayConfig now, GatewayConfig next) {
        List<String> errors = new ArrayList<>();
        // A TLS listener's certificates, versions, ALPN and client auth apply to new handshakes on reload; its
        // socket, and whether it speaks TLS at all, do not.
        if (!bindings(now.listeners()).equals(bindings(next.listeners()))) {
            errors.add("listeners: changed (expected: unchanged on reload; restart to change listeners)");
        }
        if (!now.admin().address().equals(next.admin().address())
                || !now.admin().tokenFile().equals(next.admin().tokenFile())
                || now.admin().tls().isPresent() != next.admin().tls().isPresent()) {
            errors.add("admin: changed (expected: unchanged on reload; restart to change the admin address)");
        }
        if (now.server().workerThreads() != next.server().workerThreads()) {
            errors.add("server.worker_threads: changed (expected: unchanged on reload; restart to change it)");
        }
        if (!now.accessLog().equals(next.accessLog())) {
            errors.add("access_log: changed (expected: unchanged on reload; restart to change the access log)");
        }
        if (!now.statusPage().equals(next.statusPage())) {
            errors.add("status_page: changed (expected: unchanged on reload; the status page's listener, components"
                    + " and incident book are set up at start, restart to change them)");
        }
        if (!now.webhooks().equals(next.webhooks())) {
            errors.add("notify: changed (expected: unchanged on reload; the webhook notifier is set up at start with"
                    + " its subscribers and their secrets, restart to change them)");
        }
        if (!now.ingest().fsyncInterval().equals(next.ingest().fsyncInterval())) {
            errors.add("ingest.fsync: changed (expected: unchanged on reload; the ingest store opens with it, restart"
                    + " to change it)");
        }
        return errors;
    }

    private static List<String> bindings(List<ListenerConfig> listeners) {
        return listeners.stream().map(l -> l.name() + " " + l.address() + (l.tls().isPresent() ? " tls" : ""))
                .toList();
    }
}
