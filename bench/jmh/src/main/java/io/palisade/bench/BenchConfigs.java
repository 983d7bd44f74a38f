package io.palisade.bench;

import io.palisade.gateway.ConfigLoader;
import io.palisade.gateway.GatewayConfig;

/** Configs the benchmarks load through the real loader, so they measure what the gateway would build. */
final class BenchConfigs {
    private BenchConfigs() {}

    static GatewayConfig parse(String clustersAndRoutes) {
        String yaml = """
                listeners: { http: { address: 127.0.0.1:18080 } }
                admin: { address: 127.0.0.1:19901 }
                access_log: { enabled: false }
                server: { worker_threads: 2 }
                """ + clustersAndRoutes;
        return ConfigLoader.parse(yaml, "jmh");
    }

    /** Eight endpoints, so every balancer has a real choice to make. */
    static String endpoints() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 1; i <= 8; i++) {
            b.append(i > 1 ? ", " : "").append("\"127.0.0.1:").append(28000 + i).append('"');
        }
        return b.append(']').toString();
    }
}
