package io.palisade.gateway;

import io.palisade.admin.AdminConfig;
import io.palisade.ingest.IngestSettings;
import io.palisade.proxy.AccessLogConfig;
import io.palisade.route.RouteConfig;
import io.palisade.server.ListenerConfig;
import io.palisade.server.ServerConfig;
import io.palisade.slo.SloSettings;
import io.palisade.status.StatusPageSettings;
import io.palisade.upstream.ClusterConfig;
import io.palisade.auth.AuthSettings;
import io.palisade.ratelimit.RateLimitSettings;
import io.palisade.release.RolloutPolicy;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One immutable, validated snapshot of the whole configuration. A reload builds a new one and swaps it in whole;
 * a request keeps the snapshot it started with.
 *
 * @param version      the stored version number that serves it (a short content hash until it is stored), so
 *                     requests, logs and {@code /config} say which version served
 * @param auth         consumers, their credentials and the auth providers ({@code consumers:}, {@code auth:})
 * @param rateLimiting where rate-limit counters live and the key table's budget ({@code rate_limiting:})
 * @param rollout      how the NEXT version is rolled out while this one is active ({@code rollout:})
 * @param ingest       durability and disk budget of the ingest routes' records ({@code ingest:})
 * @param slos         service-level objectives over routes ({@code slos:}), none when the section is absent
 * @param statusPage   the public status page ({@code status_page:}); empty without one
 */
public record GatewayConfig(String version, List<ListenerConfig> listeners, AdminConfig admin, ServerConfig server,
                            Map<String, ClusterConfig> clusters, List<RouteConfig> routes,
                            AccessLogConfig accessLog, AuthSettings auth, RateLimitSettings rateLimiting,
                            RolloutPolicy rollout, IngestSettings ingest, List<SloSettings> slos,
                            Optional<StatusPageSettings> statusPage) {
    public GatewayConfig withVersion(String label) {
        return new GatewayConfig(label, listeners, admin, server, clusters, routes, accessLog, auth, rateLimiting,
                rollout, ingest, slos, statusPage);
    }
}
