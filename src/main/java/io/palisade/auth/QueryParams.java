package io.palisade.auth;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads and removes one parameter of a raw query string, comparing decoded names so both agree on what it is. */
final class QueryParams {
    private QueryParams() {}

    /** Decoded values of {@code name}; throws IllegalArgumentException on a malformed escape in one of them. */
    static List<String> values(String rawQuery, String name) {
        List<String> out = new ArrayList<>(1);
        if (rawQuery.isEmpty()) {
            return out;
        }
        for (String part : rawQuery.split("&", -1)) {
            int eq = part.indexOf('=');
            String rawName = eq < 0 ? part : part.substring(0, eq);
            if (nameMatches(rawName, name)) {
                out.add(eq < 0 ? "" : decode(part.substring(eq + 1)));
            }
        }
        return out;
    }

    static String strip(String uri, String name) {
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

    private static boolean nameMatches(String rawName, String name) {
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
