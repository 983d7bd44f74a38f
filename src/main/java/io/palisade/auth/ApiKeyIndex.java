package io.palisade.auth;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Consumers by the SHA-256 of their keys. A presented key is hashed and looked up by its hash, so lookup time does not
 * depend on how much of a stored key matches; the final comparison of the full hashes is constant time as well.
 * Immutable once built.
 */
final class ApiKeyIndex {
    private static final int MAX_KEY_LENGTH = 512;

    private record HashKey(long a, long b, long c, long d) {
        static HashKey of(byte[] digest) {
            ByteBuffer buf = ByteBuffer.wrap(digest);
            return new HashKey(buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong());
        }
    }

    private record Entry(byte[] hash, AuthSettings.Consumer consumer) {}

    private final Map<HashKey, Entry> byHash;

    private ApiKeyIndex(Map<HashKey, Entry> byHash) {
        this.byHash = byHash;
    }

    static ApiKeyIndex build(Map<String, AuthSettings.Consumer> consumers) {
        Map<HashKey, Entry> map = new HashMap<>(consumers.size() * 2);
        HexFormat hex = HexFormat.of();
        for (AuthSettings.Consumer c : consumers.values()) {
            for (String h : c.apiKeySha256()) {
                byte[] hash = hex.parseHex(h);
                map.put(HashKey.of(hash), new Entry(hash, c));
            }
        }
        return new ApiKeyIndex(map);
    }

    int size() {
        return byHash.size();
    }

    /** The consumer owning {@code key}; empty for an unknown or malformed key. */
    Optional<AuthSettings.Consumer> lookup(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            return Optional.empty();
        }
        byte[] digest = ApiKeys.sha256(key);
        Entry e = byHash.get(HashKey.of(digest));
        if (e == null || !MessageDigest.isEqual(e.hash(), digest)) {
            return Optional.empty();
        }
        return Optional.of(e.consumer());
    }
}
