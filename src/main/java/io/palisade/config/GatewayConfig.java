package io.palisade.config;

import java.util.List;
import java.util.Map;

/**
 * One immutable, validated snapshot of the whole configuration. A reload builds a new one and swaps it in whole;
 * a request keeps the snapshot it started with.
 *
 * @param version a short content hash, so logs and {@code /config} say which file is live
 */
public record GatewayConfig(String version, List<ListenerConfig> listeners, AdminConfig admin, ServerConfig server,
                            Map<String, ClusterConfig> clusters, List<RouteConfig> routes,
                            AccessLogConfig accessLog) {}
