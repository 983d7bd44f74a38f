package io.palisade.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs (and, for receivers and tests, verifies) a webhook per the Standard Webhooks spec: the signature is
 * {@code v1,} + base64 of HMAC-SHA256 over {@code "{id}.{timestamp}.{body}"}, keyed with the base64-decoded part of a
 * {@code whsec_} secret.
 */
public final class WebhookSigner {
    static final String PREFIX = "whsec_";
    private final byte[] key;

    private WebhookSigner(byte[] key) {
        this.key = key.clone();
    }

    /** The signer of a secret in {@code whsec_<base64>} form; empty when it is not in that form. */
    public static Optional<WebhookSigner> of(String secret) {
        String s = secret.strip();
        if (!s.startsWith(PREFIX)) {
            return Optional.empty();
        }
        try {
            byte[] key = Base64.getDecoder().decode(s.substring(PREFIX.length()));
            return key.length == 0 ? Optional.empty() : Optional.of(new WebhookSigner(key));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The {@code webhook-signature} header's value. */
    public String sign(String id, long timestampSeconds, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] digest = mac.doFinal((id + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * Whether any of the space-separated signatures in {@code header} is this secret's signature of the message;
     * compared in constant time, as a receiver should.
     */
    public boolean verify(String id, long timestampSeconds, String body, String header) {
        byte[] expected = sign(id, timestampSeconds, body).getBytes(StandardCharsets.US_ASCII);
        boolean ok = false;
        for (String candidate : header.trim().split(" +")) {
            ok |= MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.US_ASCII));
        }
        return ok;
    }
}
