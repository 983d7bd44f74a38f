package io.palisade.proxy;

import io.palisade.filter.QueryParams;

/**
 * Takes the value of the API-key query parameter out of a query before it leaves the exchange in its outcome, so no
 * subscriber (access log, status page, webhooks) ever holds the secret. The parameter is recognised however a client
 * spells it ({@code api_key}, {@code api%5Fkey}, {@code api+key} for a name with a space), as the key reader decodes it.
 */
final class QueryRedaction {
    static final String REDACTED = "<redacted>";

    private QueryRedaction() {}

    /**
     * {@code query} with every value of parameter {@code name} replaced by {@value #REDACTED}; the same instance (no
     * allocation) when {@code name} is null or no parameter can be it.
     */
    static String redact(String query, String name) {
        if (name == null || query.isEmpty() || !mayName(query, name)) {
            return query;
        }
        StringBuilder out = null;
        int start = 0;
        while (start <= query.length()) {
            int amp = query.indexOf('&', start);
            int end = amp < 0 ? query.length() : amp;
            int eq = query.indexOf('=', start);
            int nameEnd = eq >= 0 && eq < end ? eq : end;
            if (nameEnd < end && QueryParams.nameMatches(query.substring(start, nameEnd), name)) {
                if (out == null) {
                    out = new StringBuilder(query.length()).append(query, 0, start);
                }
                out.append(query, start, nameEnd).append('=').append(REDACTED);
            } else if (out != null) {
                out.append(query, start, end);
            }
            if (amp < 0) {
                break;
            }
            if (out != null) {
                out.append('&');
            }
            start = amp + 1;
        }
        return out == null ? query : out.toString();
    }

    /** Whether some parameter of {@code query} could be {@code name}: cheap, and false for almost every query. */
    private static boolean mayName(String query, String name) {
        return query.contains(name) || query.indexOf('%') >= 0 || query.indexOf('+') >= 0;
    }
}
