package io.palisade.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Test certificates made in the JVM: a CA, server certificates with IP and DNS SANs signed by it, client certificates,
 * written as PEM files (keys as PKCS#8 or in OpenSSL's traditional forms).
 */
public final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A certificate with its key. */
    public record Issued(X509Certificate cert, PrivateKey key, List<X509Certificate> chain) {}

    /** How a key is written. */
    public enum KeyForm { PKCS8, TRADITIONAL }

    private TestPki() {}

    public static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyPair ec() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Issued ca(String cn) {
        KeyPair keys = ec();
        return new Issued(build(new X500Name("CN=" + cn), keys, new X500Name("CN=" + cn), keys.getPrivate(), true,
                List.of(), Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30))),
                keys.getPrivate(), List.of());
    }

    /** A server certificate for {@code dnsNames} and IP 127.0.0.1. */
    public static Issued server(Issued ca, String cn, KeyPair keys, String... dnsNames) {
        return server(ca, cn, keys, Instant.now().plus(Duration.ofDays(30)), dnsNames);
    }

    public static Issued server(Issued ca, String cn, KeyPair keys, Instant notAfter, String... dnsNames) {
        List<GeneralName> sans = new ArrayList<>();
        for (String d : dnsNames) {
            sans.add(new GeneralName(GeneralName.dNSName, d));
        }
        sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        X509Certificate cert = build(new X500Name("CN=" + cn), keys, subject(ca), ca.key(), false, sans,
                Instant.now().minus(Duration.ofDays(1)).isBefore(notAfter) ? Instant.now().minus(Duration.ofDays(1))
                        : notAfter.minus(Duration.ofDays(1)), notAfter);
        return new Issued(cert, keys.getPrivate(), List.of(cert));
    }

    /** A client certificate with subject CN {@code cn} (and a DNS and URI SAN when given). */
    public static Issued client(Issued ca, String cn, String sanDns, String sanUri) {
        KeyPair keys = ec();
        List<GeneralName> sans = new ArrayList<>();
        if (sanDns != null) {
            sans.add(new GeneralName(GeneralName.dNSName, sanDns));
        }
        if (sanUri != null) {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, sanUri));
        }
        X509Certificate cert = build(new X500Name("CN=" + cn), keys, subject(ca), ca.key(), false, sans,
                Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)));
        return new Issued(cert, keys.getPrivate(), List.of(cert));
    }

    private static X500Name subject(Issued ca) {
        return new X500Name(ca.cert().getSubjectX500Principal().getName());
    }

    private static X509Certificate build(X500Name subject, KeyPair keys, X500Name issuer, PrivateKey signer,
                                         boolean isCa, List<GeneralName> sans, Instant from, Instant to) {
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from), Date.from(to), subject,
                    keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            if (isCa) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            }
            if (!isCa) {
                // A CRL location, as every public CA's certificate has (testssl.sh rates a certificate without CRL
                // or OCSP URI HIGH); nothing here fetches it.
                b.addExtension(Extension.cRLDistributionPoints, false, new org.bouncycastle.asn1.x509.CRLDistPoint(
                        new org.bouncycastle.asn1.x509.DistributionPoint[] {new org.bouncycastle.asn1.x509
                                .DistributionPoint(new org.bouncycastle.asn1.x509.DistributionPointName(
                                        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier,
                                                "http://127.0.0.1:9/palisade-test.crl"))), null, null)}));
            }
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            ContentSigner cs = new JcaContentSignerBuilder(alg).build(signer);
            return new JcaX509CertificateConverter().getCertificate(b.build(cs));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the certificate chain to {@code dir/name.pem} and the key to {@code dir/name.key}. */
    public static Files2 write(Path dir, String name, Issued issued, KeyForm form) {
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + ".key");
        try {
            Files.writeString(cert, pem(issued.chain().isEmpty() ? List.of(issued.cert()) : issued.chain()));
            Files.writeString(key, keyPem(issued.key(), form));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Files2(cert, key);
    }

    /** Writes only a certificate (a CA) to {@code dir/name.pem}. */
    public static Path writeCert(Path dir, String name, X509Certificate cert) {
        Path file = dir.resolve(name + ".pem");
        try {
            Files.writeString(file, pem(List.of(cert)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** A written certificate and key. */
    public record Files2(Path cert, Path key) {}

    public static String pem(List<X509Certificate> certs) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (X509Certificate c : certs) {
                w.writeObject(c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    public static String keyPem(PrivateKey key, KeyForm form) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            if (form == KeyForm.PKCS8) {
                w.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
            } else if (key instanceof java.security.interfaces.ECPrivateKey ec) {
                // As OpenSSL writes it: SEC 1 with the curve inside (BouncyCastle's generator leaves it out).
                org.bouncycastle.asn1.pkcs.PrivateKeyInfo info =
                        org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
                org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
                        ec.getParams().getOrder().bitLength(), ec.getS(),
                        info.getPrivateKeyAlgorithm().getParameters());
                w.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
            } else {
                // BouncyCastle writes an RSA key in OpenSSL's traditional form (RSA PRIVATE KEY).
                w.writeObject(new JcaMiscPEMGenerator(key));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
