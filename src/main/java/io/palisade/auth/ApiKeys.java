package io.palisade.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * API key generation and hashing. The gateway stores only a key's SHA-256, so a leaked config file leaks no key.
 *
 * <pre>{@code
 * ApiKeys.GeneratedKey k = ApiKeys.generate();
 * // give k.key() to the consumer; put k.sha256Hex() under consumers.<id>.api_keys[].sha256
 * }</pre>
 */
public final class ApiKeys {
    /** Prefix of generated keys, so a leaked key is easy to recognise in logs and secret scanners. */
    public static final String PREFIX = "pk_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {}

    /**
     * A new key and its hash.
     *
     * @param key       {@code pk_} followed by 32 random bytes in URL-safe base64 without padding
     * @param sha256Hex lowercase hex SHA-256 of the key's UTF-8 bytes
     */
    public record GeneratedKey(String key, String sha256Hex) {
        @Override
        public String toString() {
            return "GeneratedKey[key=<hidden>, sha256Hex=" + sha256Hex + "]";
        }
    }

    public static GeneratedKey generate() {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String key = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        return new GeneratedKey(key, sha256Hex(key));
    }

    /** Lowercase hex SHA-256 of the key's UTF-8 bytes: the value to configure. */
    public static String sha256Hex(String key) {
        return HexFormat.of().formatHex(sha256(key));
    }

    static byte[] sha256(String key) {
        return newSha256().digest(key.getBytes(StandardCharsets.UTF_8));
    }

    /** A new SHA-256 digest: a provider lookup, so requests hash with a digest kept per thread instead. */
    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
