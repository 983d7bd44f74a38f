package io.palisade.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys, read without a third-party provider: certificates through the JDK's X.509 factory;
 * keys in PKCS#8 ({@code BEGIN PRIVATE KEY}), or in the traditional forms OpenSSL writes, PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) and SEC 1 ({@code BEGIN EC PRIVATE KEY}), which are wrapped into PKCS#8 here. Netty
 * reads the traditional forms only with BouncyCastle on the class path, which the gateway does not ship.
 * Encrypted keys are refused with a message saying so.
 */
final class Pem {
    /** Certificate and key files are small; a larger file is a wrong path (a log, an archive). */
    static final long MAX_FILE_BYTES = 1024 * 1024;
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s:,-]*?)-----END \\1-----");
    /** rsaEncryption, 1.2.840.113549.1.1.1, with NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
        (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** id-ecPublicKey, 1.2.840.10045.2.1. */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02,
        0x01};

    private Pem() {}

    /** Why a file cannot be used, as the second half of a {@code path: message} config error. */
    static final class Unusable extends Exception {
        private static final long serialVersionUID = 1L;

        Unusable(String message) {
            super(message, null, false, false);
        }
    }

    private record Block(String type, byte[] der) {}

    static List<X509Certificate> certificates(Path file) throws Unusable {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("every JDK reads X.509", e);
        }
        for (Block b : blocks(file)) {
            if (!b.type().equals("CERTIFICATE") && !b.type().equals("TRUSTED CERTIFICATE")) {
                continue;
            }
            try {
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException | ClassCastException e) {
                throw new Unusable(file + ": not a valid certificate (" + e.getMessage() + ")");
            }
        }
        if (out.isEmpty()) {
            throw new Unusable(file + ": no PEM certificate in it (expected: -----BEGIN CERTIFICATE-----)");
        }
        return List.copyOf(out);
    }

    static PrivateKey privateKey(Path file) throws Unusable {
        for (Block b : blocks(file)) {
            switch (b.type()) {
                case "PRIVATE KEY" -> {
                    return pkcs8(file, b.der());
                }
                case "RSA PRIVATE KEY" -> {
                    return pkcs8(file, wrap(RSA_ALGORITHM, b.der()));
                }
                case "EC PRIVATE KEY" -> {
                    return pkcs8(file, wrapEc(file, b.der()));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new Unusable(file
                        + ": an encrypted private key (expected: an unencrypted PEM key; keep it readable only by the"
                        + " gateway's user)");
                default -> {
                    // EC PARAMETERS and other blocks beside the key are skipped
                }
            }
        }
        throw new Unusable(file + ": no PEM private key in it (expected: -----BEGIN PRIVATE KEY-----, or the RSA or"
                + " EC forms)");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws Unusable {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new Unusable(file + ": not a valid RSA or EC private key");
    }

    /** PKCS#8 PrivateKeyInfo: SEQUENCE { INTEGER 0, algorithm, OCTET STRING key }. */
    private static byte[] wrap(byte[] algorithm, byte[] key) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(tlv(0x04, key));
        return tlv(0x30, body.toByteArray());
    }

    /**
     * SEC 1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING, [0] curve OID, [1] public key }; PKCS#8 wants the curve
     * in the algorithm identifier, so it is read out of the [0] field.
     */
    private static byte[] wrapEc(Path file, byte[] sec1) throws Unusable {
        try {
            int[] pos = {0};
            expect(sec1, pos, 0x30);
            readLength(sec1, pos);
            while (pos[0] < sec1.length) {
                int tag = sec1[pos[0]++] & 0xff;
                int len = readLength(sec1, pos);
                if (tag == 0xa0) {
                    byte[] curve = java.util.Arrays.copyOfRange(sec1, pos[0], pos[0] + len);
                    ByteArrayOutputStream alg = new ByteArrayOutputStream();
                    alg.writeBytes(EC_PUBLIC_KEY_OID);
                    alg.writeBytes(curve);
                    return wrap(tlv(0x30, alg.toByteArray()), sec1);
                }
                pos[0] += len;
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new Unusable(file + ": not a valid EC private key");
        }
        throw new Unusable(file + ": an EC private key without its curve (expected: the key as OpenSSL writes it,"
                + " or PKCS#8)");
    }

    private static void expect(byte[] der, int[] pos, int tag) {
        if ((der[pos[0]++] & 0xff) != tag) {
            throw new IllegalArgumentException("unexpected tag");
        }
    }

    private static int readLength(byte[] der, int[] pos) {
        int first = der[pos[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int n = first & 0x7f;
        if (n > 3) {
            throw new IllegalArgumentException("length");
        }
        int len = 0;
        for (int i = 0; i < n; i++) {
            len = (len << 8) | (der[pos[0]++] & 0xff);
        }
        return len;
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int len = value.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static List<Block> blocks(Path file) throws Unusable {
        String text = new String(read(file), StandardCharsets.US_ASCII);
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            if (body.contains(":")) {
                // "Proc-Type: 4,ENCRYPTED" headers: an OpenSSL-encrypted traditional key
                throw new Unusable(file + ": an encrypted private key (expected: an unencrypted PEM key)");
            }
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new Unusable(file + ": malformed PEM (" + m.group(1) + " block is not base64)");
            }
        }
        if (out.isEmpty()) {
            throw new Unusable(file + ": not PEM (expected: -----BEGIN ...----- blocks)");
        }
        return out;
    }

    static byte[] read(Path file) throws Unusable {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new Unusable(file + ": " + size + " bytes (expected: a PEM file of at most 1MiB)");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Unusable(file + ": cannot read (no such file)");
        } catch (AccessDeniedException e) {
            throw new Unusable(file + ": cannot read (permission denied)");
        } catch (IOException | SecurityException e) {
            throw new Unusable(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
