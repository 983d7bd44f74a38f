package io.palisade.auth;

import io.palisade.config.ConfigNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads the top-level {@code consumers:} section: ids, groups and the SHA-256 of each API key. */
final class ConsumersReader {
    static final Set<String> CONSUMER_KEYS = Set.of("groups", "api_keys");
    static final Set<String> API_KEY_HASH_KEYS = Set.of("sha256");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

    private ConsumersReader() {}

    /** Consumers by id, in config order; a key configured for two consumers is an error. */
    static Map<String, AuthSettings.Consumer> read(ConfigNode node) {
        Map<String, AuthSettings.Consumer> out = new LinkedHashMap<>();
        Map<String, String> hashOwner = new HashMap<>();
        for (Map.Entry<String, ConfigNode> e : node.entries().entrySet()) {
            String id = e.getKey();
            ConfigNode c = e.getValue();
            if (!AuthConfigValues.checkName(id, c) || !c.expectObject()) {
                continue;
            }
            c.rejectUnknown(CONSUMER_KEYS);
            Set<String> groups = new LinkedHashSet<>(AuthConfigValues.names(c.get("groups"), Names.GROUP,
                    "a group name of letters, digits, '_', '.', ':', '/', '@', '-'"));
            List<String> hashes = new ArrayList<>();
            for (ConfigNode k : c.get("api_keys").elements()) {
                if (!k.isObject()) {
                    k.invalid("a mapping like { sha256: <hex> }");
                    continue;
                }
                k.rejectUnknown(API_KEY_HASH_KEYS);
                ConfigNode h = k.get("sha256");
                String hex = h.requiredString();
                if (hex.isEmpty()) {
                    continue;
                }
                if (!HEX64.matcher(hex).matches()) {
                    // Not echoed: a value here is often the key itself, pasted where its hash belongs, and config
                    // errors go to logs, reload answers and the audit.
                    h.error(hex.length() + " characters, not shown (expected: 64 hex digits, the SHA-256 of the key;"
                            + " `bin/palisade keys new` prints one)");
                    continue;
                }
                hex = hex.toLowerCase(Locale.ROOT);
                String previous = hashOwner.putIfAbsent(hex, h.path());
                if (previous != null) {
                    h.error("same key as " + previous + " (expected: each key belongs to one consumer)");
                    continue;
                }
                hashes.add(hex);
            }
            out.put(id, new AuthSettings.Consumer(id, groups, hashes));
        }
        return out;
    }
}
