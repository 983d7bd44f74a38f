package io.palisade.auth;

import io.netty.util.concurrent.FastThreadLocal;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumers by the SHA-256 of their keys. A presented key is hashed and looked up by its hash, so lookup time does not
 * depend on how much of a stored key matches; the final comparison of the full hashes is constant time as well.
 * Immutable once built; one per credential view.
 *
 * <p>Every request of the policy path comes through here, so a lookup allocates nothing: each thread hashes with its
 * own digest and buffers, and the table is an open-addressing array probed by the hash's first eight bytes. Each
 * thread also remembers the last key it verified, with the index that verified it: a keep-alive client sends the same
 * key on every request, and a presented key equal to that one (compared in constant time, over all its bytes) is the
 * same consumer without hashing again. A reload builds a new index, which no remembered key belongs to, so a key it
 * removed is refused by the first request after it.
 */
final class ApiKeyIndex {
    private static final int MAX_KEY_LENGTH = 512;
    private static final int HASH_LENGTH = 32;
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** Tells indexes apart without referencing them, so a thread's memory of a key keeps no old view alive. */
    private static final AtomicLong GENERATIONS = new AtomicLong();
    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private final long generation = GENERATIONS.incrementAndGet();
    /** Slot i holds a key whose hash starts with prefixes[i]; hashes[i] null marks an empty slot. */
    private final long[] prefixes;
    private final byte[][] hashes;
    private final Verdict[] grants;
    private final int mask;
    private int size;

    private ApiKeyIndex(int capacity) {
        this.prefixes = new long[capacity];
        this.hashes = new byte[capacity][];
        this.grants = new Verdict[capacity];
        this.mask = capacity - 1;
    }

    static ApiKeyIndex build(Map<String, AuthSettings.Consumer> consumers) {
        HexFormat hex = HexFormat.of();
        List<byte[]> keyHashes = new ArrayList<>();
        List<Verdict> keyGrants = new ArrayList<>();
        for (AuthSettings.Consumer c : consumers.values()) {
            Verdict grant = Verdict.of(new AuthDecision.Allowed(new Identity(c.id(), c.groups(), AuthSettings.API_KEY),
                    Map.of()));
            for (String h : c.apiKeySha256()) {
                keyHashes.add(hex.parseHex(h));
                keyGrants.add(grant);
            }
        }
        // At most half full, so an absent key meets an empty slot within a few probes.
        int capacity = Integer.highestOneBit(Math.max(2, keyHashes.size()) * 2 - 1) << 1;
        ApiKeyIndex index = new ApiKeyIndex(capacity);
        for (int i = 0; i < keyHashes.size(); i++) {
            index.insert(keyHashes.get(i), keyGrants.get(i));
        }
        return index;
    }

    private void insert(byte[] hash, Verdict grant) {
        long prefix = (long) LONG_BE.get(hash, 0);
        int slot = (int) prefix & mask;
        while (hashes[slot] != null) {
            if (ConstantTime.equals(hashes[slot], hash)) {
                // The settings parser refuses a key configured twice; settings built in code get the last owner.
                grants[slot] = grant;
                return;
            }
            slot = (slot + 1) & mask;
        }
        prefixes[slot] = prefix;
        hashes[slot] = hash;
        grants[slot] = grant;
        size++;
    }

    int size() {
        return size;
    }

    /** The verdict allowing the consumer that owns {@code key}; null for an unknown or malformed key. */
    Verdict lookup(String key) {
        int length = key.length();
        if (length == 0 || length > MAX_KEY_LENGTH) {
            return null;
        }
        Scratch s = SCRATCH.get();
        byte[] bytes = s.key;
        for (int i = 0; i < length; i++) {
            char c = key.charAt(i);
            if (c >= 0x80) {
                return find(s.hash(key.getBytes(StandardCharsets.UTF_8)));
            }
            bytes[i] = (byte) c;
        }
        if (s.lastGeneration == generation && s.lastLength == length && s.lastKeyEquals(length)) {
            return s.lastGrant;
        }
        Verdict grant = find(s.hash(length));
        if (grant != null) {
            s.remember(generation, length, grant);
        }
        return grant;
    }

    private Verdict find(byte[] digest) {
        long prefix = (long) LONG_BE.get(digest, 0);
        for (int slot = (int) prefix & mask; hashes[slot] != null; slot = (slot + 1) & mask) {
            if (prefixes[slot] == prefix && ConstantTime.equals(hashes[slot], digest)) {
                return grants[slot];
            }
        }
        return null;
    }

    /** One thread's digest, buffers and last verified key. Used by that thread only. */
    private static final class Scratch {
        final MessageDigest sha256 = ApiKeys.newSha256();
        final byte[] key = new byte[MAX_KEY_LENGTH];
        final byte[] digest = new byte[HASH_LENGTH];
        final byte[] lastKey = new byte[MAX_KEY_LENGTH];
        int lastLength;
        /** 0 until a key is remembered: no index has generation 0. */
        long lastGeneration;
        Verdict lastGrant;

        byte[] hash(int length) {
            sha256.update(key, 0, length);
            try {
                sha256.digest(digest, 0, HASH_LENGTH);
            } catch (DigestException e) {
                throw new IllegalStateException("a SHA-256 digest is " + HASH_LENGTH + " bytes", e);
            }
            return digest;
        }

        byte[] hash(byte[] utf8) {
            return sha256.digest(utf8);
        }

        /** Whether the first {@code length} bytes of {@link #key} equal the remembered key's, in constant time. */
        boolean lastKeyEquals(int length) {
            return ConstantTime.equals(key, lastKey, length);
        }

        void remember(long generation, int length, Verdict grant) {
            System.arraycopy(key, 0, lastKey, 0, length);
            lastLength = length;
            lastGeneration = generation;
            lastGrant = grant;
        }
    }
}
