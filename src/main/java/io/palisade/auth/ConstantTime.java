package io.palisade.auth;

/**
 * The one comparison of secret bytes in the gateway (API key hashes, the per-thread remembered key, configured
 * secrets): its time depends on how many bytes are compared, never on where they first differ, so response timing
 * cannot tell a caller how much of a guess was right. The loop of {@link java.security.MessageDigest#isEqual}, which
 * also compares a prefix of reused buffers without copying them.
 */
final class ConstantTime {
    private ConstantTime() {}

    /** Whether {@code a} and {@code b} hold the same bytes; a length difference answers at once (lengths are public). */
    static boolean equals(byte[] a, byte[] b) {
        return a.length == b.length && equals(a, b, a.length);
    }

    /** Whether the first {@code length} bytes of {@code a} and {@code b} are the same. */
    static boolean equals(byte[] a, byte[] b, int length) {
        int diff = 0;
        for (int i = 0; i < length; i++) {
            diff |= a[i] ^ b[i];
        }
        return diff == 0;
    }
}
