package io.palisade.ratelimit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * One bucket: a rule (by its bucket id) and the request's value for the rule's key. Values longer than
 * {@link #MAX_RAW_LENGTH} characters (a client can send kilobytes in a header or path) are replaced by their SHA-256,
 * so every entry of the key table and every Redis key has a bounded size whatever the client sends.
 */
final class LimitKey {
    static final int MAX_RAW_LENGTH = 96;
    static final char RAW = '=';
    /** An anonymous request under a consumer rule, keyed by its client address. */
    static final char ANONYMOUS = '~';
    static final char HASHED = '#';

    final String bucketId;
    final String value;
    final char tag;
    /** How long the entry may sit unused before its state is certainly empty: the rule's burst tolerance. */
    final long idleNanos;
    private final int hash;

    private LimitKey(String bucketId, String value, char tag, long idleNanos) {
        this.bucketId = bucketId;
        this.value = value;
        this.tag = tag;
        this.idleNanos = idleNanos;
        this.hash = (bucketId.hashCode() * 31 + value.hashCode()) * 31 + tag;
    }

    static LimitKey of(String bucketId, RateRule rule, long idleNanos, String routeId, LimitKeys keys) {
        List<KeyPart> parts = rule.key();
        String value;
        char tag = RAW;
        if (parts.size() == 1) {
            KeyPart p = parts.get(0);
            if (p.kind() == KeyPart.Kind.CONSUMER && keys.consumer().isEmpty()) {
                tag = ANONYMOUS;
                value = keys.clientIp();
            } else {
                value = single(p, routeId, keys);
            }
        } else {
            StringBuilder sb = new StringBuilder(64);
            for (KeyPart p : parts) {
                String v;
                if (p.kind() == KeyPart.Kind.CONSUMER) {
                    v = keys.consumer().isEmpty() ? ANONYMOUS + keys.clientIp() : RAW + keys.consumer();
                } else {
                    v = single(p, routeId, keys);
                }
                sb.append(v.length()).append(':').append(v);
            }
            value = sb.toString();
        }
        if (value.length() > MAX_RAW_LENGTH) {
            value = sha256(tag + value);
            tag = HASHED;
        }
        return new LimitKey(bucketId, value, tag, idleNanos);
    }

    private static String single(KeyPart p, String routeId, LimitKeys keys) {
        return switch (p.kind()) {
            case IP -> keys.clientIp();
            case CONSUMER -> keys.consumer();
            case ROUTE -> routeId;
            case PATH -> keys.path();
            case HEADER -> keys.header(p.header().orElseThrow());
        };
    }

    private static String sha256(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The key's Redis name: bounded length, binary-safe. */
    String redisKey() {
        return "palisade:rl:" + bucketId + ":" + tag + value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LimitKey k && hash == k.hash && tag == k.tag && value.equals(k.value)
                && bucketId.equals(k.bucketId);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return bucketId + ":" + tag + value;
    }
}
