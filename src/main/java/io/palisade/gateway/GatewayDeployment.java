package io.palisade.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.palisade.auth.AuthSettings;
import io.palisade.ratelimit.RateLimitSettings;
import io.palisade.release.Deployment;
import io.palisade.release.Probe;
import io.palisade.release.RolloutPolicy;
import io.palisade.release.SplitBy;
import io.palisade.route.RouteConfig;
import io.palisade.upstream.Cluster;
import io.palisade.upstream.ClusterConfig;
import io.palisade.upstream.ClusterManager;
import io.palisade.upstream.EndpointConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The gateway as the release manager sees it: how a YAML text becomes a validated config, what a version changes that
 * must be probed or guarded, and the swaps that make versions serve. Everything but {@link #activate} and
 * {@link #serve} only reads.
 */
final class GatewayDeployment implements Deployment<ConfigLoader.Loaded, Gateway.Candidate> {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private final Gateway gateway;

    GatewayDeployment(Gateway gateway) {
        this.gateway = gateway;
    }

    /** What serves; empty at start-up, before anything does (then every address is new). */
    private Optional<GatewayConfig> live() {
        ConfigLoader.Loaded live = gateway.live();
        return live == null ? Optional.empty() : Optional.of(live.config());
    }

    @Override
    public ConfigLoader.Loaded parse(String yaml) {
        return ConfigLoader.parseWithSource(yaml, "config");
    }

    /**
     * Covers the files the YAML names as well as its text: replacing a token or certificate file in place is a new
     * version, even though the YAML did not change.
     */
    @Override
    public String hash(ConfigLoader.Loaded parsed) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(parsed.yaml().getBytes(StandardCharsets.UTF_8));
            for (Path file : ConfigFiles.named(parsed.config())) {
                sha.update((byte) 0);
                sha.update(file.toString().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                try {
                    sha.update(Files.readAllBytes(file));
                } catch (IOException e) {
                    sha.update(("unreadable: " + e.getClass().getSimpleName()).getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public JsonNode tree(ConfigLoader.Loaded parsed, boolean redacted) {
        return redacted ? parsed.redactedTree() : parsed.tree();
    }

    @Override
    public String redactedYaml(String yaml) {
        try {
            JsonNode tree = YAML.readTree(yaml);
            return tree == null ? "" : YAML.writeValueAsString(ConfigLoader.redacted(tree));
        } catch (IOException e) {
            return "# not shown: the stored text is not YAML (" + e.getClass().getSimpleName() + ")\n";
        }
    }

    @Override
    public RolloutPolicy rollout(ConfigLoader.Loaded parsed) {
        return parsed.config().rollout();
    }

    @Override
    public List<String> restartOnly(ConfigLoader.Loaded next) {
        return live().map(now -> RestartOnly.changes(now, next.config())).orElse(List.of());
    }

    /**
     * Endpoints that are new or whose address, timeouts or health check changed; JWKS and external auth URLs that are
     * new or changed; a new or changed Redis address. What serves unchanged is watched by health checks already.
     */
    @Override
    public List<Probe> probes(ConfigLoader.Loaded next) {
        Optional<GatewayConfig> serving = live();
        Map<String, ClusterConfig> clustersBefore = serving.map(GatewayConfig::clusters).orElse(Map.of());
        AuthSettings authBefore = serving.map(GatewayConfig::auth).orElse(AuthSettings.empty());
        Optional<RateLimitSettings.RedisSettings> redisBefore = serving.flatMap(c -> c.rateLimiting().redis());
        GatewayConfig cfg = next.config();
        List<Probe> probes = new ArrayList<>();
        for (ClusterConfig c : cfg.clusters().values()) {
            ClusterConfig before = clustersBefore.get(c.name());
            Set<EndpointConfig> known = before == null || !sameProbe(before, c) ? Set.of()
                    : new LinkedHashSet<>(before.endpoints());
            for (int i = 0; i < c.endpoints().size(); i++) {
                EndpointConfig e = c.endpoints().get(i);
                if (known.contains(e)) {
                    continue;
                }
                Duration timeout = c.timeouts().connect().plus(c.healthCheck().map(h -> h.timeout())
                        .orElse(Duration.ZERO));
                // The probe's health request is plain HTTP: a TLS cluster's endpoints are probed for DNS and TCP
                // only, and their health path is left to the active checks, which speak TLS.
                probes.add(new Probe.Endpoint("clusters." + c.name() + ".endpoints[" + i + "]",
                        e.address().host(), e.address().port(), timeout,
                        c.tls().isPresent() ? Optional.empty() : c.healthCheck().map(h -> h.path()),
                        status -> status >= 200 && status < 400));
            }
        }
        AuthSettings auth = cfg.auth();
        for (AuthSettings.Jwt jwt : auth.jwt().values()) {
            AuthSettings.Jwt before = authBefore.jwt().get(jwt.name());
            if (jwt.jwksUrl().isPresent() && (before == null || !before.jwksUrl().equals(jwt.jwksUrl()))) {
                probes.add(new Probe.Jwks("auth.jwt." + jwt.name() + ".jwks_url", jwt.jwksUrl().get(),
                        jwt.fetchTimeout()));
            }
        }
        for (AuthSettings.External ext : auth.external().values()) {
            AuthSettings.External before = authBefore.external().get(ext.name());
            if (before == null || !before.url().equals(ext.url()) || !before.timeout().equals(ext.timeout())) {
                probes.add(new Probe.Http("auth.external." + ext.name() + ".url", ext.url(), ext.timeout()));
            }
        }
        Optional<RateLimitSettings.RedisSettings> redis = cfg.rateLimiting().redis();
        if (redis.isPresent() && !redis.equals(redisBefore)) {
            RateLimitSettings.RedisSettings r = redis.get();
            probes.add(new Probe.Redis("rate_limiting.redis.address", r.address().host(), r.address().port(),
                    r.timeout()));
        }
        return probes;
    }

    private static boolean sameProbe(ClusterConfig a, ClusterConfig b) {
        return a.timeouts().connect().equals(b.timeouts().connect()) && a.healthCheck().equals(b.healthCheck());
    }

    /**
     * Seed 002: an operator diverted all traffic to one cluster, which could not take it. A route's traffic moves
     * when a cluster it can send to (weight above 0, or a failover target) is new to it or gets a larger weight. Each
     * such cluster that serves now must have a healthy endpoint, and its healthy endpoints times
     * {@code limits.max_requests} must cover the requests in flight on the clusters the moved routes use now. A
     * cluster new to the gateway has no live health: the endpoint probes check it.
     */
    @Override
    public List<String> guard(ConfigLoader.Loaded next) {
        Optional<GatewayConfig> serving = live();
        if (serving.isEmpty()) {
            return List.of();
        }
        GatewayConfig now = serving.get();
        ClusterManager clusters = gateway.clusters();
        GatewayConfig cfg = next.config();
        Map<String, RouteConfig> before = new LinkedHashMap<>();
        now.routes().forEach(r -> before.put(r.id(), r));
        Map<String, Set<String>> movedTo = new LinkedHashMap<>();
        Map<String, Set<String>> sources = new LinkedHashMap<>();
        for (RouteConfig route : cfg.routes()) {
            RouteConfig old = before.get(route.id());
            if (old == null) {
                continue;
            }
            Map<String, Integer> was = RouteTargets.weights(old, now.clusters());
            Map<String, Integer> will = RouteTargets.weights(route, cfg.clusters());
            for (Map.Entry<String, Integer> e : will.entrySet()) {
                if (e.getValue() > was.getOrDefault(e.getKey(), -1)) {
                    movedTo.computeIfAbsent(e.getKey(), k -> new LinkedHashSet<>()).add(route.id());
                    sources.computeIfAbsent(e.getKey(), k -> new LinkedHashSet<>()).addAll(was.keySet());
                }
            }
        }
        List<String> refusals = new ArrayList<>();
        movedTo.forEach((name, routes) -> {
            Optional<Cluster> target = clusters.cluster(name);
            if (target.isEmpty()) {
                return;
            }
            Cluster c = target.get();
            int healthy = c.availableEndpoints().size();
            String which = "route" + (routes.size() == 1 ? " " : "s ") + String.join(", ", routes);
            if (healthy == 0) {
                refusals.add("traffic shift: " + which + " would move traffic to cluster " + name
                        + ", which has no healthy endpoint (0 of " + c.endpoints().size() + ")");
                return;
            }
            int inFlight = 0;
            for (String source : sources.get(name)) {
                inFlight += clusters.cluster(source).map(Cluster::activeRequests).orElse(0);
            }
            int maxRequests = cfg.clusters().get(name).limits().maxRequests();
            long capacity = (long) healthy * maxRequests;
            if (capacity < inFlight) {
                refusals.add("traffic shift: " + which + " would move " + inFlight + " requests in flight to cluster "
                        + name + ", whose " + healthy + " healthy endpoint(s) x limits.max_requests " + maxRequests
                        + " = " + capacity + " cannot take them");
            }
        });
        return refusals;
    }

    @Override
    public Gateway.Candidate prepare(ConfigLoader.Loaded parsed, long version) {
        return gateway.prepare(parsed.withVersion(Long.toString(version)));
    }

    @Override
    public void activate(Gateway.Candidate only) {
        gateway.activate(only);
    }

    @Override
    public void serve(Gateway.Candidate primary, Gateway.Candidate canary, double share, SplitBy splitBy) {
        gateway.activate(primary, canary, Splits.of(share, splitBy, canary.loaded().config().auth()));
    }
}
