package io.palisade.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One loaded key set, with a ready verifier per usable key, indexed by {@code kid}. Immutable: a refresh builds a new
 * one and swaps the reference, so a request sees either the old set or the new one, never a mix.
 *
 * <p>A key is used only for the algorithm its type implies (RSA for RS256, EC P-256 for ES256, OKP Ed25519 for EdDSA),
 * and only if its own {@code alg} and {@code use}, when present, agree; that rules out algorithm confusion. EdDSA is
 * verified with the JDK's Ed25519, since Nimbus's Ed25519 verifier needs Google Tink, which is not on the classpath.
 */
final class JwtKeys {
    /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32-byte public key follows. */
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
            0x21, 0x00};
    private static final int MIN_RSA_BITS = 2048;

    @FunctionalInterface
    interface Check {
        boolean verify(SignedJWT jwt) throws JOSEException, GeneralSecurityException;
    }

    record Key(String kid, JWSAlgorithm alg, Check check) {}

    private final JWKSet source;
    private final List<Key> all;
    private final Map<String, List<Key>> byKid;
    private final List<String> skipped;

    private JwtKeys(JWKSet source, List<Key> all, List<String> skipped) {
        this.source = source;
        this.all = List.copyOf(all);
        Map<String, List<Key>> index = new HashMap<>();
        for (Key k : all) {
            if (!k.kid().isEmpty()) {
                index.computeIfAbsent(k.kid(), x -> new ArrayList<>()).add(k);
            }
        }
        index.replaceAll((kid, keys) -> List.copyOf(keys));
        this.byKid = Map.copyOf(index);
        this.skipped = List.copyOf(skipped);
    }

    static JwtKeys from(JWKSet set, Set<String> algorithms) {
        List<Key> keys = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (JWK jwk : set.getKeys()) {
            String kid = jwk.getKeyID() == null ? "" : jwk.getKeyID();
            if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
                continue;
            }
            try {
                Key key = toKey(jwk, kid);
                if (key == null) {
                    skipped.add(kid + ": unsupported key type or curve");
                } else if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(key.alg().getName())) {
                    skipped.add(kid + ": alg " + jwk.getAlgorithm() + " does not match its key type");
                } else if (algorithms.contains(key.alg().getName())) {
                    keys.add(key);
                }
            } catch (JOSEException | GeneralSecurityException | RuntimeException e) {
                skipped.add(kid + ": " + e.getMessage());
            }
        }
        return new JwtKeys(set, keys, skipped);
    }

    /** The same fetched key set, with the keys {@code algorithms} allows: for a provider rebuilt on reload. */
    JwtKeys forAlgorithms(Set<String> algorithms) {
        return from(source, algorithms);
    }

    private static Key toKey(JWK jwk, String kid) throws JOSEException, GeneralSecurityException {
        if (jwk instanceof RSAKey rsa) {
            if (rsa.size() < MIN_RSA_BITS) {
                throw new JOSEException("RSA key of " + rsa.size() + " bits is below " + MIN_RSA_BITS);
            }
            RSASSAVerifier v = new RSASSAVerifier(rsa.toRSAPublicKey());
            return new Key(kid, JWSAlgorithm.RS256, jwt -> jwt.verify(v));
        }
        if (jwk instanceof ECKey ec && Curve.P_256.equals(ec.getCurve())) {
            ECDSAVerifier v = new ECDSAVerifier(ec.toECPublicKey());
            return new Key(kid, JWSAlgorithm.ES256, jwt -> jwt.verify(v));
        }
        if (jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
            PublicKey pk = ed25519PublicKey(okp.getDecodedX());
            return new Key(kid, JWSAlgorithm.EdDSA, jwt -> verifyEd25519(pk, jwt));
        }
        return null;
    }

    private static PublicKey ed25519PublicKey(byte[] x) throws GeneralSecurityException {
        if (x.length != 32) {
            throw new GeneralSecurityException("Ed25519 public key must be 32 bytes, not " + x.length);
        }
        byte[] der = new byte[ED25519_SPKI_PREFIX.length + 32];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(x, 0, der, ED25519_SPKI_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    }

    private static boolean verifyEd25519(PublicKey key, SignedJWT jwt) throws GeneralSecurityException {
        byte[] signature = jwt.getSignature().decode();
        if (signature.length != 64) {
            return false;
        }
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(jwt.getSigningInput());
        return s.verify(signature);
    }

    /**
     * Keys that could have signed a token with this {@code kid} (empty when the token has none) and algorithm. Empty
     * means the key is unknown to this set.
     */
    List<Key> candidates(String kid, JWSAlgorithm alg) {
        List<Key> pool = kid.isEmpty() ? all : byKid.getOrDefault(kid, List.of());
        List<Key> out = new ArrayList<>(pool.size());
        for (Key k : pool) {
            if (k.alg().equals(alg)) {
                out.add(k);
            }
        }
        return out;
    }

    int size() {
        return all.size();
    }

    /** Keys of the set that could not be used, with why; for the log. */
    List<String> skipped() {
        return skipped;
    }
}
