package io.palisade.ratelimit;

import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * One bucket: a rule (by its bucket id) and the request's value for the rule's key. Values longer than
 * {@link #MAX_RAW_LENGTH} characters (a client can send kilobytes in a header or path) are replaced by their SHA-256,
 * so every entry of the key table and every Redis key has a bounded size whatever the client sends.
 *
 * <p>A check looks its bucket up with a {@link #probe()}: one key per thread, {@link #set} for each lookup, so a check
 * of a bucket that exists allocates no key. The key table stores only {@link #copy() copies}, which nothing changes.
 */
final class LimitKey {
    static final int MAX_RAW_LENGTH = 96;
    static final char RAW = '=';
    /** An anonymous request under a consumer rule, keyed by its client address. */
    static final char ANONYMOUS = '~';
    static final char HASHED = '#';
    private static final FastThreadLocal<LimitKey> PROBE = new FastThreadLocal<>() {
        @Override
        protected LimitKey initialValue() {
            return new LimitKey();
        }
    };
    private static final FastThreadLocal<MessageDigest> SHA256 = new FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java platform has SHA-256", e);
            }
        }
    };

    private String bucketId;
    private String value;
    private char tag;
    private long idleNanos;
    private int hash;

    private LimitKey() {}

    private LimitKey(String bucketId, String value, char tag, long idleNanos, int hash) {
        this.bucketId = bucketId;
        this.value = value;
        this.tag = tag;
        this.idleNanos = idleNanos;
        this.hash = hash;
    }

    static LimitKey of(String bucketId, RateRule rule, long idleNanos, String routeId, LimitKeys keys) {
        return new LimitKey().set(bucketId, rule, idleNanos, routeId, keys);
    }

    /** This thread's lookup key; valid until its next {@link #set}, never stored. */
    static LimitKey probe() {
        return PROBE.get();
    }

    /** Makes this the key of {@code rule}'s bucket for {@code keys}. */
    LimitKey set(String bucketId, RateRule rule, long idleNanos, String routeId, LimitKeys keys) {
        List<KeyPart> parts = rule.key();
        String v;
        char t = RAW;
        if (parts.size() == 1) {
            KeyPart p = parts.get(0);
            if (p.kind() == KeyPart.Kind.CONSUMER && keys.consumer().isEmpty()) {
                t = ANONYMOUS;
                v = keys.clientIp();
            } else {
                v = single(p, routeId, keys);
            }
        } else {
            StringBuilder sb = new StringBuilder(64);
            for (KeyPart p : parts) {
                String part;
                if (p.kind() == KeyPart.Kind.CONSUMER) {
                    part = keys.consumer().isEmpty() ? ANONYMOUS + keys.clientIp() : RAW + keys.consumer();
                } else {
                    part = single(p, routeId, keys);
                }
                sb.append(part.length()).append(':').append(part);
            }
            v = sb.toString();
        }
        if (v.length() > MAX_RAW_LENGTH) {
            v = sha256(t + v);
            t = HASHED;
        }
        this.bucketId = bucketId;
        this.value = v;
        this.tag = t;
        this.idleNanos = idleNanos;
        this.hash = (bucketId.hashCode() * 31 + v.hashCode()) * 31 + t;
        return this;
    }

    /** A key equal to this one that no {@link #set} changes: what the key table stores. */
    LimitKey copy() {
        return new LimitKey(bucketId, value, tag, idleNanos, hash);
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
        byte[] d = SHA256.get().digest(s.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    }

    /** How long the entry may sit unused before its state is certainly empty: the rule's burst tolerance. */
    long idleNanos() {
        return idleNanos;
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
