package io.palisade.filter;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parameters of a raw query string ({@link RequestContext#query()}), read the one way everything in the gateway reads
 * them, so a credential, a hash key and the parameter stripped before forwarding are always the same parameter:
 * <ul>
 *   <li>parameters are separated by {@code &} only ({@code ;} is part of a value); one without {@code =} has the
 *       value {@code ""};</li>
 *   <li>names and values are percent-decoded as UTF-8, and {@code +} is a space
 *       ({@code application/x-www-form-urlencoded}); names are compared after decoding, so {@code api%5Fkey} is
 *       {@code api_key};</li>
 *   <li>a name may repeat: {@link #values} returns every value in order;</li>
 *   <li>a malformed escape ({@code %zz}, a trailing {@code %}) in a value makes {@link #values} throw and
 *       {@link #first} empty; in a name, it is a name nobody asks for.</li>
 * </ul>
 *
 * <pre>{@code
 * List<String> keys = QueryParams.values(ctx.query(), "api_key");   // ["k1", "k2"] for api_key=k1&api%5Fkey=k2
 * }</pre>
 */
public final class QueryParams {
    private QueryParams() {}

    /**
     * Every decoded value of {@code name}, in order; empty when there is none.
     *
     * @throws IllegalArgumentException when one of them has a malformed escape
     */
    public static List<String> values(String rawQuery, String name) {
        List<String> out = new ArrayList<>(1);
        for (int at = find(rawQuery, name, 0); at >= 0; at = find(rawQuery, name, end(rawQuery, at) + 1)) {
            out.add(value(rawQuery, at));
        }
        return out;
    }

    /** The first decoded value of {@code name}; empty when there is none or its escape is malformed. */
    public static Optional<String> first(String rawQuery, String name) {
        int at = find(rawQuery, name, 0);
        if (at < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(value(rawQuery, at));
        } catch (IllegalArgumentException malformed) {
            return Optional.empty();
        }
    }

    /**
     * {@code uri} (a request target, path and query) without any {@code name} parameter, the others and a fragment
     * kept as sent; {@code uri} itself when it has none.
     */
    public static String strip(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        int hash = uri.indexOf('#', q);
        String query = hash < 0 ? uri.substring(q + 1) : uri.substring(q + 1, hash);
        String fragment = hash < 0 ? "" : uri.substring(hash);
        StringBuilder kept = new StringBuilder(query.length());
        boolean removed = false;
        for (String part : query.split("&", -1)) {
            int eq = part.indexOf('=');
            if (nameMatches(eq < 0 ? part : part.substring(0, eq), name)) {
                removed = true;
                continue;
            }
            if (part.isEmpty()) {
                continue;
            }
            if (!kept.isEmpty()) {
                kept.append('&');
            }
            kept.append(part);
        }
        if (!removed) {
            return uri;
        }
        String path = uri.substring(0, q);
        return (kept.isEmpty() ? path : path + "?" + kept) + fragment;
    }

    /** Where the next parameter named {@code name} starts, from {@code from} on; -1 when there is none. */
    private static int find(String query, String name, int from) {
        for (int start = from; start < query.length(); start = end(query, start) + 1) {
            int end = end(query, start);
            int eq = query.indexOf('=', start);
            if (nameMatches(query.substring(start, eq >= 0 && eq < end ? eq : end), name)) {
                return start;
            }
        }
        return -1;
    }

    /** The decoded value of the parameter starting at {@code start}: "" without {@code =}. */
    private static String value(String query, int start) {
        int end = end(query, start);
        int eq = query.indexOf('=', start);
        return eq >= 0 && eq < end ? decode(query.substring(eq + 1, end)) : "";
    }

    private static int end(String query, int start) {
        int amp = query.indexOf('&', start);
        return amp < 0 ? query.length() : amp;
    }

    /**
     * Whether a parameter spelled {@code rawName} in a query is {@code name}: as written, or percent-decoded ('+' a
     * space); a malformed escape is no name.
     */
    public static boolean nameMatches(String rawName, String name) {
        if (rawName.equals(name)) {
            return true;
        }
        if (rawName.indexOf('%') < 0 && rawName.indexOf('+') < 0) {
            return false;
        }
        try {
            return decode(rawName).equals(name);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String decode(String s) {
        return QueryStringDecoder.decodeComponent(s, StandardCharsets.UTF_8);
    }
}
