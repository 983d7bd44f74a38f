package io.palisade.auth;

import io.palisade.config.ConfigNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** The value shapes more than one section reader of {@code consumers:} and {@code auth:} checks. */
final class AuthConfigValues {
    /** The longest wait on an auth dependency a config may set. */
    static final Duration MAX_TIMEOUT = Duration.ofSeconds(30);

    private AuthConfigValues() {}

    /** Whether {@code name} (a consumer id or provider name, the key of {@code node}) has the shape of an id. */
    static boolean checkName(String name, ConfigNode node) {
        if (!Names.ID.matcher(name).matches()) {
            node.error(name + " (expected: a name of letters, digits, '_', '.', '-', '@')");
            return false;
        }
        return true;
    }

    /** A list of names (or a single one), each checked against {@code shape}. */
    static List<String> names(ConfigNode node, Pattern shape, String expectation) {
        if (!node.isPresent()) {
            return List.of();
        }
        List<ConfigNode> elements = node.isTextual() ? List.of(node) : node.elements();
        List<String> out = new ArrayList<>();
        for (ConfigNode e : elements) {
            Optional<String> v = e.optString();
            if (v.isEmpty()) {
                continue;
            }
            if (!shape.matcher(v.get()).matches()) {
                e.invalid(expectation);
                continue;
            }
            out.add(v.get());
        }
        return out;
    }

    /** A required http(s) URL with a host, and without user info or fragment. */
    static Optional<URI> httpUrl(ConfigNode node) {
        if (!node.isPresent()) {
            node.error("missing (expected: an http:// or https:// URL)");
            return Optional.empty();
        }
        String text = node.optString().orElse("");
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
                    && uri.getRawUserInfo() == null && uri.getRawFragment() == null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        node.invalid("an http:// or https:// URL with a host");
        return Optional.empty();
    }
}
