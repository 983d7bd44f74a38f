package io.palisade.gateway;

import io.palisade.admin.AdminConfig;
import io.palisade.proxy.AccessLogConfig;
import io.palisade.route.RouteConfig;
import io.palisade.server.ListenerConfig;
import io.palisade.server.ServerConfig;
import io.palisade.upstream.ClusterConfig;
import io.palisade.auth.AuthSettings;
import io.palisade.ratelimit.RateLimitSettings;
import java.util.List;
import java.util.Map;

/**
 * One immutable, validated snapshot of the whole configuration. A reload builds a new one and swaps it in whole;
 * a request keeps the snapshot it started with.
 *
 * @param version      a short content hash, so logs and {@code /config} say which file is live
 * @param auth         consumers, their credentials and the auth providers ({@code consumers:}, {@code auth:})
 * @param rateLimiting where rate-limit counters live and the key table's budget ({@code rate_limiting:})
 */
public record GatewayConfig(String version, List<ListenerConfig> listeners, AdminConfig admin, ServerConfig server,
                            Map<String, ClusterConfig> clusters, List<RouteConfig> routes,
                            AccessLogConfig accessLog, AuthSettings auth, RateLimitSettings rateLimiting) {}
