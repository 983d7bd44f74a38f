package io.palisade.auth;

import io.palisade.config.ConfigNode;
import java.util.Optional;
import java.util.Set;

/** Reads {@code auth.api_key}: where API keys are read from. */
final class ApiKeyReader {
    static final Set<String> API_KEY_KEYS = Set.of("header", "query");
    /** {@code X-Api-Key}, and no query parameter. */
    static final AuthSettings.ApiKey DEFAULT = new AuthSettings.ApiKey("X-Api-Key", Optional.empty());

    private ApiKeyReader() {}

    static AuthSettings.ApiKey read(ConfigNode node) {
        if (!node.expectObject()) {
            return DEFAULT;
        }
        node.rejectUnknown(API_KEY_KEYS);
        String header = node.get("header").string(DEFAULT.header());
        if (!Names.HEADER_NAME.matcher(header).matches()) {
            node.get("header").invalid("a header name");
            header = DEFAULT.header();
        }
        Optional<String> query = node.get("query").optString();
        if (query.isPresent() && !Names.QUERY_NAME.matcher(query.get()).matches()) {
            node.get("query").invalid("a query parameter name of letters, digits, '_', '.', '-'");
            query = Optional.empty();
        }
        return new AuthSettings.ApiKey(header, query);
    }
}
