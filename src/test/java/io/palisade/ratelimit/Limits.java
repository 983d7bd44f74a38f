package io.palisade.ratelimit;

import io.palisade.config.ConfigErrors;

/** Route limits from YAML for tests; fails on any config error. */
final class Limits {
    private Limits() {}

    static RouteLimits of(String routeYaml) {
        ConfigErrors errors = new ConfigErrors();
        RouteLimits limits = RouteLimits.parse(Yaml.node(routeYaml, "routes[0]", errors));
        errors.throwIfAny();
        return limits;
    }

    static RateLimitSettings settings(String yaml) {
        ConfigErrors errors = new ConfigErrors();
        RateLimitSettings s = RateLimitSettings.parse(Yaml.node(yaml, "rate_limiting", errors));
        errors.throwIfAny();
        return s;
    }

    static LimitKeys keys(String ip, String consumer) {
        return LimitKeys.of(ip, consumer, "/orders", name -> null);
    }
}
