package io.palisade.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * A certificate chain with its private key, read and checked: both files parse, and the key is the one the leaf
 * certificate certifies. An expired or not yet valid certificate is served all the same (the operator's to fix, and
 * a gateway that refuses to start over it helps no one); {@link #validityProblem} says so for a warning.
 */
record CertifiedKey(List<X509Certificate> chain, PrivateKey key) {
    private static final byte[] PROBE = "palisade key match".getBytes(StandardCharsets.US_ASCII);

    /** Which file of a pair is at fault, and why (the message names the file). */
    static final class FileProblem extends Exception {
        private static final long serialVersionUID = 1L;
        private final String field;

        FileProblem(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }

        /** {@code cert_file} or {@code key_file}. */
        String field() {
            return field;
        }
    }

    static CertifiedKey load(TlsSettings.CertificateFiles files) throws FileProblem {
        List<X509Certificate> chain;
        try {
            chain = Pem.certificates(files.certFile());
        } catch (Pem.Unusable e) {
            throw new FileProblem("cert_file", e.getMessage());
        }
        PrivateKey key;
        try {
            key = Pem.privateKey(files.keyFile());
        } catch (Pem.Unusable e) {
            throw new FileProblem("key_file", e.getMessage());
        }
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new FileProblem("key_file", files.keyFile() + ": not the key of the certificate in "
                    + files.certFile());
        }
        return new CertifiedKey(chain, key);
    }

    /** Signs with the private key and verifies with the certificate's public key: true when they are a pair. */
    static boolean matches(PrivateKey key, PublicKey pub) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            default -> null;
        };
        if (algorithm == null || !key.getAlgorithm().equals(pub.getAlgorithm())
                && !(key.getAlgorithm().startsWith("Ed") && pub.getAlgorithm().startsWith("Ed"))) {
            return false;
        }
        try {
            Signature signer = Signature.getInstance(algorithm);
            if (algorithm.equals("RSASSA-PSS")) {
                signer.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            if (algorithm.equals("RSASSA-PSS")) {
                verifier.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            verifier.initVerify(pub);
            verifier.update(PROBE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    X509Certificate leaf() {
        return chain.get(0);
    }

    /** Why the leaf certificate cannot be trusted by clients at {@code now} (expired, not yet valid), or null. */
    String validityProblem(Instant now) {
        X509Certificate leaf = leaf();
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            return "expired on " + leaf.getNotAfter().toInstant();
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            return "not valid before " + leaf.getNotBefore().toInstant();
        }
        return null;
    }

    /** The DNS names SNI may pick this certificate by: its DNS SANs, else its subject CN. Lower case. */
    List<String> dnsNames() {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf().getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String s) {
                        names.add(s.toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no SANs to go by
        }
        if (names.isEmpty()) {
            String cn = subjectCn(leaf());
            if (cn != null) {
                names.add(cn.toLowerCase(Locale.ROOT));
            }
        }
        return List.copyOf(names);
    }

    /** The subject's common name, or null. */
    static String subjectCn(X509Certificate cert) {
        try {
            LdapName name = new LdapName(cert.getSubjectX500Principal().getName());
            for (Rdn rdn : name.getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }
}
