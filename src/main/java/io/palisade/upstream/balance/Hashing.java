package io.palisade.upstream.balance;

/**
 * A 64-bit string hash for the ring: FNV-1a over the UTF-16 chars, then a finalizing mix so that nearby inputs
 * ({@code 10.0.0.1:80#1}, {@code 10.0.0.1:80#2}) land far apart. Allocation-free; not for security.
 */
final class Hashing {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private Hashing() {}

    static long hash(CharSequence s) {
        return mix(fnv(s));
    }

    /** The part of a ring point that depends on the endpoint only; computed once per endpoint. */
    static long seed(CharSequence s) {
        return fnv(s);
    }

    /** The {@code index}-th ring point of the endpoint with this {@link #seed}. */
    static long point(long seed, int index) {
        return mix(seed + (index + 1L) * GOLDEN);
    }

    private static long fnv(CharSequence s) {
        long h = FNV_OFFSET;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            h = (h ^ (c & 0xff)) * FNV_PRIME;
            h = (h ^ (c >>> 8)) * FNV_PRIME;
        }
        return h;
    }

    /** The 64-bit finalizer of splitmix64: every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
