package io.palisade.ratelimit;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One part of a rule's key: {@code ip}, {@code consumer}, {@code route}, {@code path} or {@code header:NAME}.
 *
 * @param kind   what the part reads from the request
 * @param header the lower-cased header name for {@link Kind#HEADER}, empty otherwise
 */
public record KeyPart(Kind kind, Optional<String> header) {
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    public KeyPart {
        if ((kind == Kind.HEADER) != header.isPresent()) {
            throw new IllegalArgumentException("a header part needs a name, other parts none");
        }
    }

    public enum Kind {
        /** The client address as the gateway sees it (after any trusted-proxy handling by the caller). */
        IP,
        /**
         * The authenticated consumer; an anonymous request is counted under its client address instead (tagged so it
         * never shares a bucket with a consumer id), so a consumer rule never leaves anonymous traffic unlimited.
         */
        CONSUMER,
        /** The route: every request of the route shares one bucket. */
        ROUTE,
        /** The request path without the query. */
        PATH,
        /** A request header's value; a missing header counts as the empty value (one shared bucket). */
        HEADER
    }

    /** Parses one written part; empty when it is not one of the known forms. */
    public static Optional<KeyPart> parse(String text) {
        String t = text.trim();
        String lower = t.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "ip" -> {
                return Optional.of(new KeyPart(Kind.IP, Optional.empty()));
            }
            case "consumer" -> {
                return Optional.of(new KeyPart(Kind.CONSUMER, Optional.empty()));
            }
            case "route" -> {
                return Optional.of(new KeyPart(Kind.ROUTE, Optional.empty()));
            }
            case "path" -> {
                return Optional.of(new KeyPart(Kind.PATH, Optional.empty()));
            }
            default -> {
                if (lower.startsWith("header:")) {
                    String name = t.substring("header:".length()).trim();
                    if (TOKEN.matcher(name).matches()) {
                        return Optional.of(new KeyPart(Kind.HEADER, Optional.of(name.toLowerCase(Locale.ROOT))));
                    }
                }
                return Optional.empty();
            }
        }
    }

    @Override
    public String toString() {
        return kind == Kind.HEADER ? "header:" + header.orElseThrow() : kind.name().toLowerCase(Locale.ROOT);
    }
}
