package io.palisade.auth;

import io.palisade.config.ConfigNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads a route's {@code auth:} mapping against the providers and consumers the config defines. */
final class RoutePolicyReader {
    static final Set<String> ROUTE_KEYS = Set.of("any_of", "groups", "scopes", "methods", "anonymous",
            "forward_credentials");

    private RoutePolicyReader() {}

    /** See {@link AuthSettings#parseRoute}. */
    static RoutePolicy read(ConfigNode node, AuthSettings settings) {
        if (!node.isPresent()) {
            return RoutePolicy.none();
        }
        if (!node.expectObject()) {
            return RoutePolicy.none();
        }
        node.rejectUnknown(ROUTE_KEYS);
        List<String> known = settings.providerIds();
        ConfigNode anyOfNode = node.get("any_of");
        List<String> anyOf = new ArrayList<>();
        if (!anyOfNode.isPresent()) {
            anyOfNode.error("missing (expected: a list of providers like [" + String.join(", ", known) + "])");
        }
        for (ConfigNode p : anyOfNode.isTextual() ? List.of(anyOfNode) : anyOfNode.elements()) {
            String id = p.optString().orElse("");
            if (!known.contains(id)) {
                p.invalid("one of " + String.join(", ", known));
            } else if (anyOf.contains(id)) {
                p.invalid("each provider once");
            } else {
                anyOf.add(id);
            }
        }
        if (anyOfNode.isArray() && anyOfNode.raw().isEmpty()) {
            anyOfNode.invalid("one or more providers");
        }

        ConfigNode groupsNode = node.get("groups");
        Set<String> groups = new LinkedHashSet<>();
        boolean consumerGroupsOnly = !anyOf.isEmpty() && anyOf.stream().allMatch(AuthSettings.API_KEY::equals);
        for (ConfigNode g : groupsNode.isTextual() ? List.of(groupsNode) : groupsNode.elements()) {
            String v = g.optString().orElse("");
            if (!Names.GROUP.matcher(v).matches()) {
                g.invalid("a group name");
            } else if (consumerGroupsOnly && settings.consumers().values().stream()
                    .noneMatch(c -> c.groups().contains(v))) {
                g.invalid("a group some consumer has; with only api_key, groups come from consumers");
            } else {
                groups.add(v);
            }
        }

        ConfigNode scopesNode = node.get("scopes");
        Set<String> scopes = new LinkedHashSet<>(AuthConfigValues.names(scopesNode, Names.SCOPE, "a scope name"));
        if (!scopes.isEmpty() && !anyOf.isEmpty()
                && anyOf.stream().noneMatch(p -> p.startsWith(AuthSettings.JWT_PREFIX))) {
            scopesNode.invalid("a jwt provider in any_of; only tokens carry scopes");
        }

        ConfigNode methodsNode = node.get("methods");
        Set<String> methods = new LinkedHashSet<>();
        for (ConfigNode m : methodsNode.isTextual() ? List.of(methodsNode) : methodsNode.elements()) {
            String v = m.optString().orElse("").toUpperCase(Locale.ROOT);
            if (!Names.METHOD.matcher(v).matches()) {
                m.invalid("an HTTP method like GET");
            } else {
                methods.add(v);
            }
        }

        ConfigNode anonymousNode = node.get("anonymous");
        boolean anonymous = anonymousNode.bool(false);
        if (anonymous && (!groups.isEmpty() || !scopes.isEmpty())) {
            anonymousNode.invalid("false when groups or scopes are set; anonymous callers hold none");
        }
        boolean forwardCredentials = node.get("forward_credentials").bool(false);
        return new RoutePolicy(anyOf, groups, scopes, methods, anonymous, forwardCredentials, settings.apiKey());
    }
}
