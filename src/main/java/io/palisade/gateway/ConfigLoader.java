package io.palisade.gateway;

import io.palisade.admin.AdminConfig;
import io.palisade.config.Address;
import io.palisade.config.AddressReader;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigException;
import io.palisade.config.ConfigNode;
import io.palisade.config.Syntax;
import io.palisade.config.YamlReader;
import io.palisade.ingest.IngestSettings;
import io.palisade.upstream.UpstreamProtocol;
import io.palisade.notify.WebhookSettings;
import io.palisade.proxy.AccessLogConfig;
import io.palisade.route.IngestAction;
import io.palisade.route.RouteConfig;
import io.palisade.route.RouteReader;
import io.palisade.server.Http2Settings;
import io.palisade.server.ListenerConfig;
import io.palisade.overload.OverloadSettings;
import io.palisade.server.ServerConfig;
import io.palisade.server.ServerLimits;
import io.palisade.server.TrustedProxies;
import io.palisade.slo.SloSettings;
import io.palisade.status.StatusPageSettings;
import io.palisade.tls.TlsReader;
import io.palisade.tls.TlsSettings;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.ClusterReader;
import io.palisade.auth.AuthSettings;
import io.palisade.ratelimit.RateLimitSettings;
import io.palisade.release.RolloutPolicy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a YAML config file into a validated {@link GatewayConfig}, or refuses it with every problem at once.
 *
 * <pre>{@code
 * try {
 *     GatewayConfig config = ConfigLoader.load(Path.of("palisade.yaml"));
 * } catch (ConfigException e) {
 *     e.errors().forEach(System.err::println);   // clusters.orders.timeouts.connect: 0s (expected: > 0)
 * }
 * }</pre>
 *
 * <p>Defaults, for keys left out (docs/configuration.md has the full reference):
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>key</th><th>default</th></tr>
 *   <tr><td>{@code listeners}</td><td>{@code http: { address: 0.0.0.0:8080 }}</td></tr>
 *   <tr><td>{@code admin.address}</td><td>{@code 127.0.0.1:9901}</td></tr>
 *   <tr><td>{@code clusters.*.balancer}</td><td>{@code round_robin}; {@code weighted} when an endpoint has a
 *       weight other than 1</td></tr>
 *   <tr><td>{@code clusters.*.timeouts}</td><td>connect 1s, request 15s, idle 60s</td></tr>
 *   <tr><td>{@code clusters.*.health_check}</td><td>absent: no active checks. When present: {@code path} required,
 *       interval 5s, timeout 1s (half the interval when that is 1s or less), unhealthy_after 3,
 *       healthy_after 2</td></tr>
 *   <tr><td>{@code clusters.*.outlier}</td><td>consecutive_failures 5, ejection 30s, max_ejection 5m,
 *       max_ejection_percent 50</td></tr>
 *   <tr><td>{@code clusters.*.limits}</td><td>max_connections 1024, max_pending 256, max_requests 1024</td></tr>
 *   <tr><td>{@code clusters.*.retries}</td><td>attempts 1, budget 20%</td></tr>
 *   <tr><td>{@code routes[*]}</td><td>name {@code routes[i]}, strip_prefix false, timeouts from the cluster,
 *       max_body from the server, require_body false</td></tr>
 *   <tr><td>{@code server.limits}</td><td>max_header_bytes 16KiB, max_uri_bytes 8KiB, max_body 10MiB,
 *       header_read_timeout 10s, client_idle 60s, max_connections 10000, max_connections_per_ip 0 (no cap)</td></tr>
 *   <tr><td>{@code server}</td><td>worker_threads 0 (one per core), drain_timeout 30s, request_id keep</td></tr>
 *   <tr><td>{@code access_log}</td><td>enabled, target {@code stdout}</td></tr>
 * </table>
 *
 * <p>Every duration is finite, above zero and at most {@link #MAX_DURATION}: a config cannot turn off a deadline.
 * Unknown keys are errors, so a typo never silently falls back to a default. The sections owned by other packages
 * ({@code consumers}, {@code auth}, {@code rate_limiting}; route {@code auth}, {@code rate_limits},
 * {@code concurrency}; cluster {@code adaptive_concurrency}) are accepted here and parsed by those packages from the
 * same {@link ConfigNode} tree.
 */
public final class ConfigLoader {
    /** The longest duration any key accepts. */
    public static final Duration MAX_DURATION = ConfigNode.MAX_DURATION;

    static final Set<String> ROOT_KEYS = Set.of("listeners", "admin", "server", "clusters", "routes", "access_log",
            "rollout");
    /** Top-level sections owned by other packages. */
    static final Set<String> ROOT_KEYS_ELSEWHERE = Set.of("consumers", "auth", "rate_limiting", "ingest", "slos",
            "status_page", "notify");

    static final ListenerConfig DEFAULT_LISTENER = new ListenerConfig("http", new Address("0.0.0.0", 8080));
    static final Address DEFAULT_ADMIN = new Address("127.0.0.1", 9901);
    static final ServerLimits DEFAULT_LIMITS = new ServerLimits(16 * 1024, 8 * 1024, 10L * 1024 * 1024,
            Duration.ofSeconds(10), Duration.ofSeconds(60), 10_000);
    static final Duration DEFAULT_DRAIN = Duration.ofSeconds(30);
    static final AccessLogConfig DEFAULT_ACCESS_LOG = new AccessLogConfig(true, "stdout");
    /**
     * SnakeYAML refuses documents past about 3 million characters anyway; this keeps a wrong path (a log file, an
     * archive) from filling the heap first.
     */
    static final long MAX_FILE_BYTES = 16L * 1024 * 1024;
    /** Netty's header and initial-line limits are ints; a megabyte of headers is already an attack. */
    static final long MAX_HEADER_LIMIT = 1024 * 1024;

    private ConfigLoader() {}

    /**
     * A validated config and the tree it was read from, so the admin port can show what is live.
     *
     * @param tree the YAML as parsed, aliases expanded, with each route's {@code cluster}/{@code clusters} in one
     *             shape: {@code clusters: [ { name, weight } ]}, the shorthand as its one entry of weight 100.
     *             {@link #tree()} returns a copy, since Jackson trees are mutable. Show it through
     *             {@link #redactedTree()}, never raw.
     * @param yaml the text it was read from, as the store keeps it
     */
    public record Loaded(GatewayConfig config, JsonNode tree, String yaml) {
        public Loaded {
            tree = tree.deepCopy();
        }

        /** The same config labelled as stored version {@code version}, the label requests and logs carry. */
        public Loaded withVersion(String version) {
            return new Loaded(config.withVersion(version), tree, yaml);
        }

        @Override
        public JsonNode tree() {
            return tree.deepCopy();
        }

        /** The tree with secrets replaced, see {@link ConfigLoader#redacted}. */
        public JsonNode redactedTree() {
            return redacted(tree);
        }
    }

    /**
     * Reads and validates a config file.
     *
     * @throws ConfigException with every problem found, including an unreadable, empty or malformed file
     */
    public static GatewayConfig load(Path file) {
        return loadWithSource(file).config();
    }

    /** Like {@link #load}, also returning the parsed tree. */
    public static Loaded loadWithSource(Path file) {
        return read(readBytes(file), file.toString());
    }

    /**
     * A config file's text, for the release path (which stores it as a version).
     *
     * @throws ConfigException when it cannot be read or is over the size limit
     */
    public static String readText(Path file) {
        return new String(readBytes(file), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ConfigException(List.of(file + ": " + Files.size(file) + " bytes (expected: at most "
                        + Syntax.formatSize(MAX_FILE_BYTES) + ")"));
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(file + ": cannot read (no such file)"));
        } catch (AccessDeniedException e) {
            throw new ConfigException(List.of(file + ": cannot read (permission denied)"));
        } catch (IOException | SecurityException e) {
            throw new ConfigException(List.of(file + ": cannot read (" + e.getMessage() + ")"));
        }
    }

    /**
     * Validates YAML text; {@code sourceName} names it in file-level messages (malformed, empty).
     *
     * @throws ConfigException with every problem found
     */
    public static GatewayConfig parse(String yaml, String sourceName) {
        return parseWithSource(yaml, sourceName).config();
    }

    /** Like {@link #parse}, also returning the parsed tree. */
    public static Loaded parseWithSource(String yaml, String sourceName) {
        return read(yaml.getBytes(StandardCharsets.UTF_8), sourceName);
    }

    /**
     * A copy of {@code raw} with the value of every secret-looking key replaced by {@code "<redacted>"}: keys whose
     * words (split at {@code _}, {@code -} and case changes) include secret, password, passwd, token, sha256,
     * authorization, credential(s), private key or api key(s), e.g. {@code client_secret}, {@code api_keys},
     * {@code X-Api-Key}, {@code bearerToken}. Lists and mappings under such a key keep their shape with every value
     * replaced, except booleans and the {@code header} and {@code query} names of {@code auth.api_key}: where a key
     * travels is no secret.
     */
    public static JsonNode redacted(JsonNode raw) {
        return Redaction.redact(raw);
    }

    private static Loaded read(byte[] bytes, String source) {
        ConfigErrors errors = new ConfigErrors();
        JsonNode tree = YamlReader.read(bytes, source, errors);
        if (tree.isMissingNode() || tree.isNull()) {
            throw new ConfigException(List.of(source
                    + ": empty (expected: a YAML mapping with at least clusters and routes)"));
        }
        if (!tree.isObject()) {
            throw new ConfigException(List.of(source + ": " + describeType(tree)
                    + " at the top level (expected: a mapping with at least clusters and routes)"));
        }
        GatewayConfig config = build(new ConfigNode(tree, "", errors), version(bytes));
        errors.throwIfAny();
        return new Loaded(config, withClusterLists(tree, config.routes()),
                new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * {@code tree} with each route's {@code cluster} or {@code clusters} replaced, in its place, by the
     * {@code clusters} list the route was read as: {@code /config} shows one shape, whichever the file used.
     */
    private static JsonNode withClusterLists(JsonNode tree, List<RouteConfig> routes) {
        JsonNode written = tree.get("routes");
        if (written == null || !written.isArray() || written.size() != routes.size()) {
            return tree;
        }
        ObjectNode out = (ObjectNode) tree.deepCopy();
        ArrayNode outRoutes = out.putArray("routes");
        for (int i = 0; i < routes.size(); i++) {
            ObjectNode route = JsonNodeFactory.instance.objectNode();
            boolean listed = false;
            for (Map.Entry<String, JsonNode> field : written.get(i).properties()) {
                if (!field.getKey().equals("cluster") && !field.getKey().equals("clusters")) {
                    route.set(field.getKey(), field.getValue().deepCopy());
                } else if (!listed) {
                    listed = true;
                    ArrayNode clusters = route.putArray("clusters");
                    routes.get(i).clusters().forEach(c -> clusters.addObject().put("name", c.name())
                            .put("weight", c.weight()));
                }
            }
            outRoutes.add(route);
        }
        return out;
    }

    private static String describeType(JsonNode node) {
        if (node.isArray()) {
            return "a list";
        }
        return node.isTextual() ? "a string" : "a single value";
    }

    /**
     * One method per section, each reading its own node, so a section owned by another package is a one-line
     * addition here ({@code XxxSettings.parse(root.get("xxx"))}).
     */
    static GatewayConfig build(ConfigNode root, String version) {
        root.rejectUnknown(ClusterReader.union(ROOT_KEYS, ROOT_KEYS_ELSEWHERE));
        List<ListenerConfig> listeners = listeners(root.get("listeners"));
        AdminConfig admin = admin(root.get("admin"), listeners);
        ServerConfig server = server(root.get("server"));
        Map<String, ClusterConfig> clusters = ClusterReader.read(root.get("clusters"));
        AuthSettings auth = AuthSettings.parse(root);
        List<RouteConfig> routes = RouteReader.read(root.get("routes"), clusters.keySet(), server.limits(), auth);
        AccessLogConfig accessLog = accessLog(root.get("access_log"));
        RateLimitSettings rateLimiting = RateLimitSettings.parse(root.get("rate_limiting"));
        RolloutPolicy rollout = RolloutPolicy.read(root.get("rollout"));
        IngestSettings ingest = IngestSettings.read(root.get("ingest"));
        checkQuotas(root.get("routes"), routes, ingest);
        checkWebSocketClusters(root.get("routes"), routes, clusters);
        Set<String> routeIds = routes.stream().map(RouteConfig::id).collect(Collectors.toSet());
        List<SloSettings> slos = SloSettings.read(root.get("slos"), routeIds);
        Optional<StatusPageSettings> statusPage = StatusPageSettings.read(root.get("status_page"),
                slos.stream().map(SloSettings::name).collect(Collectors.toSet()), routeIds);
        statusPage.ifPresent(page -> checkStatusAddress(root.get("status_page").get("address"), page, listeners,
                admin));
        WebhookSettings notify = WebhookSettings.read(root.get("notify"));
        return new GatewayConfig(version, listeners, admin, server, clusters, routes, accessLog, auth,
                rateLimiting, rollout, ingest, slos, statusPage, notify);
    }

    /** The status page is a listener of its own: its address may collide with no other. */
    private static void checkStatusAddress(ConfigNode node, StatusPageSettings page, List<ListenerConfig> listeners,
                                           AdminConfig admin) {
        for (ListenerConfig listener : listeners) {
            if (AddressReader.collides(page.address(), listener.address())) {
                node.error(page.address() + " (expected: an address no listener binds; listeners." + listener.name()
                        + " binds " + listener.address() + ")");
                return;
            }
        }
        if (AddressReader.collides(page.address(), admin.address())) {
            node.error(page.address() + " (expected: an address the admin port does not bind; admin binds "
                    + admin.address() + ")");
        }
    }

    /**
     * A WebSocket upgrade goes to the upstream as HTTP/1.1 (from an HTTP/2 client too): a {@code websocket: true}
     * route whose traffic can reach an HTTP/2 cluster (by weight or failover) would have its upgrades fail there.
     */
    private static void checkWebSocketClusters(ConfigNode routesNode, List<RouteConfig> routes,
                                               Map<String, ClusterConfig> clusters) {
        List<ConfigNode> nodes = routesNode.elements();
        if (nodes.size() != routes.size()) {
            return;
        }
        for (int i = 0; i < routes.size(); i++) {
            if (!routes.get(i).websocket()) {
                continue;
            }
            for (String name : routes.get(i).reachableClusters(clusters)) {
                ClusterConfig c = clusters.get(name);
                if (c != null && c.protocol() != UpstreamProtocol.HTTP1) {
                    nodes.get(i).get("websocket").invalid("false, or only clusters with protocol http1: cluster "
                            + name + " speaks " + c.protocol().name().toLowerCase(java.util.Locale.ROOT)
                            + ", and a WebSocket upgrade goes upstream as HTTP/1.1");
                    break;
                }
            }
        }
    }

    /** A route's quota is its share of {@code ingest.max_disk}: it cannot be more than all of it. */
    private static void checkQuotas(ConfigNode routesNode, List<RouteConfig> routes, IngestSettings ingest) {
        List<ConfigNode> nodes = routesNode.elements();
        if (nodes.size() != routes.size()) {
            return; // a route that could not be read at all is already an error; positions no longer match
        }
        for (int i = 0; i < routes.size(); i++) {
            Optional<IngestAction> action = routes.get(i).ingest();
            if (action.isPresent() && action.get().quota() != Long.MAX_VALUE
                    && action.get().quota() > ingest.maxDisk()) {
                nodes.get(i).get("ingest").get("quota").invalid("<= ingest.max_disk "
                        + Syntax.formatSize(ingest.maxDisk()));
            }
        }
    }

    private static List<ListenerConfig> listeners(ConfigNode node) {
        if (!node.isPresent()) {
            return List.of(DEFAULT_LISTENER);
        }
        Map<String, ConfigNode> entries = node.entries();
        if (node.isObject() && entries.isEmpty()) {
            node.invalid("at least one listener");
        }
        List<ListenerConfig> listeners = new ArrayList<>();
        for (Map.Entry<String, ConfigNode> entry : entries.entrySet()) {
            String name = entry.getKey();
            ConfigNode l = entry.getValue();
            if (!Syntax.isName(name)) {
                l.error(Syntax.quote(name) + " (expected: " + Syntax.NAME_RULE + ")");
            }
            if (!l.isObject()) {
                l.invalid("a mapping like { address: 0.0.0.0:8080 }");
                continue;
            }
            l.rejectUnknown(Set.of("address", "tls", "proxy_protocol", "http2"));
            Optional<Http2Settings> http2 = Optional.ofNullable(Http2Settings.read(l.get("http2")));
            ConfigNode addressNode = l.get("address");
            Optional<Address> address = AddressReader.required(addressNode, 0);
            if (address.isEmpty()) {
                continue;
            }
            for (ListenerConfig other : listeners) {
                if (AddressReader.collides(address.get(), other.address())) {
                    addressNode.error(address.get() + " (expected: an address no other listener binds; listeners."
                            + other.name() + " binds " + other.address() + ")");
                    break;
                }
            }
            listeners.add(new ListenerConfig(name, address.get(), TlsReader.server(l.get("tls")),
                    l.get("proxy_protocol").bool(false), http2));
        }
        return List.copyOf(listeners);
    }

    private static AdminConfig admin(ConfigNode node, List<ListenerConfig> listeners) {
        ConfigNode addressNode = node.get("address");
        if (!node.expectObject()) {
            return new AdminConfig(DEFAULT_ADMIN);
        }
        node.rejectUnknown(Set.of("address", "token_file", "tls"));
        // The file is read here so a missing or short token refuses the config (validate, reload) rather than the
        // start; the admin server reads it again when it starts, and only then. A relative path is taken from the
        // working directory: this method does not know where the config file is.
        ConfigNode tokenNode = node.get("token_file");
        Optional<Path> tokenFile = tokenNode.optString().flatMap(text -> {
            if (text.isBlank() || text.indexOf('\0') >= 0) {
                tokenNode.invalid("the path of a file holding the admin token");
                return Optional.empty();
            }
            Path file = Path.of(text).toAbsolutePath().normalize();
            AdminConfig.tokenFileProblem(file).ifPresent(tokenNode::error);
            return Optional.of(file);
        });
        Optional<TlsSettings> tls = TlsReader.server(node.get("tls"));
        Optional<Address> written = AddressReader.read(addressNode, 0);
        if (addressNode.isPresent() && written.isEmpty()) {
            return new AdminConfig(DEFAULT_ADMIN, tokenFile, tls);
        }
        Address address = written.orElse(DEFAULT_ADMIN);
        for (ListenerConfig listener : listeners) {
            if (AddressReader.collides(address, listener.address())) {
                addressNode.error(address + " (expected: an address no listener binds; listeners." + listener.name()
                        + " binds " + listener.address() + ")");
                break;
            }
        }
        if (!AdminConfig.isLoopback(address.host()) && !tokenNode.isPresent()) {
            // The admin API reconfigures the gateway and shows its metrics: off loopback it needs the token.
            addressNode.error(address + " is not a loopback address (expected: a loopback address such as "
                    + DEFAULT_ADMIN + ", or admin.token_file beside this one)");
        }
        return new AdminConfig(address, tokenFile, tls);
    }

    private static ServerConfig server(ConfigNode node) {
        if (!node.expectObject()) {
            return new ServerConfig(DEFAULT_LIMITS, 0, DEFAULT_DRAIN);
        }
        node.rejectUnknown(Set.of("limits", "worker_threads", "drain_timeout", "request_id", "trusted_proxies",
                "overload"));
        ServerLimits limits = serverLimits(node.get("limits"));
        int workerThreads = node.get("worker_threads").intValue(0, 0, 1024);
        Duration drain = node.get("drain_timeout").duration(DEFAULT_DRAIN, MAX_DURATION);
        ServerConfig.RequestIdPolicy requestId = ServerConfig.RequestIdPolicy.valueOf(node.get("request_id")
                .oneOf("keep", List.of("keep", "generate")).toUpperCase(Locale.ROOT));
        TrustedProxies trusted = TrustedProxies.parse(node.get("trusted_proxies"));
        return new ServerConfig(limits, workerThreads, drain, requestId, trusted, overload(node.get("overload")));
    }

    private static OverloadSettings overload(ConfigNode node) {
        if (!node.expectObject()) {
            return OverloadSettings.DEFAULTS;
        }
        node.rejectUnknown(Set.of("heap_stop_keepalive", "heap_shed"));
        OverloadSettings d = OverloadSettings.DEFAULTS;
        ConfigNode stopNode = node.get("heap_stop_keepalive");
        double stop = stopNode.ratio(d.heapStopKeepAlive());
        double shed = node.get("heap_shed").ratio(d.heapShed());
        if (stop <= 0) {
            stopNode.invalid("above 0%");
            return d;
        }
        if (stop > shed) {
            stopNode.invalid("at most heap_shed, " + Math.round(shed * 100) + "%");
            return d;
        }
        return new OverloadSettings(stop, shed);
    }

    private static ServerLimits serverLimits(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT_LIMITS;
        }
        node.rejectUnknown(Set.of("max_header_bytes", "max_uri_bytes", "max_body", "header_read_timeout",
                "client_idle", "max_connections", "max_connections_per_ip"));
        ServerLimits d = DEFAULT_LIMITS;
        return new ServerLimits(
                node.get("max_header_bytes").size(d.maxHeaderBytes(), 1024, MAX_HEADER_LIMIT),
                node.get("max_uri_bytes").size(d.maxUriBytes(), 256, MAX_HEADER_LIMIT),
                node.get("max_body").size(d.maxBody(), 0, Long.MAX_VALUE),
                node.get("header_read_timeout").duration(d.headerReadTimeout(), MAX_DURATION),
                node.get("client_idle").duration(d.clientIdle(), MAX_DURATION),
                node.get("max_connections").intValue(d.maxConnections(), 1, Integer.MAX_VALUE),
                node.get("max_connections_per_ip").intValue(d.maxConnectionsPerIp(), 0, Integer.MAX_VALUE));
    }

    private static AccessLogConfig accessLog(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT_ACCESS_LOG;
        }
        node.rejectUnknown(Set.of("enabled", "target"));
        boolean enabled = node.get("enabled").bool(DEFAULT_ACCESS_LOG.enabled());
        ConfigNode targetNode = node.get("target");
        String target = targetNode.string(DEFAULT_ACCESS_LOG.target());
        if (target.isBlank() || target.indexOf('\0') >= 0) {
            targetNode.invalid("stdout or a file path");
            target = DEFAULT_ACCESS_LOG.target();
        }
        return new AccessLogConfig(enabled, target);
    }

    /** The first 12 hex digits of the SHA-256 of the file's bytes. */
    static String version(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
