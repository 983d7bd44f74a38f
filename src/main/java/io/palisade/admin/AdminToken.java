package io.palisade.admin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Reading {@code admin.token_file}, and the constant-time comparison of a presented token against it. */
final class AdminToken {
    static final int MIN_LENGTH = 16;
    /** A token file is one line; more than this is the wrong file, not a long token. */
    static final int MAX_FILE_BYTES = 4096;

    /** A token file that cannot be used; the message names the file and what is wrong, for a config error. */
    static final class Unusable extends Exception {
        Unusable(String message) {
            super(message, null, false, false);
        }
    }

    private AdminToken() {}

    /** The token in {@code file}: its one line with surrounding whitespace trimmed. */
    static String read(Path file) throws Unusable {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            // A pipe or a device would block the read, or never end.
            throw new Unusable(file + ": not a regular file (expected: a file holding the token)");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new Unusable(file + ": cannot read (no such file)");
        } catch (AccessDeniedException e) {
            throw new Unusable(file + ": cannot read (permission denied)");
        } catch (IOException | SecurityException e) {
            throw new Unusable(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new Unusable(file + ": more than " + MAX_FILE_BYTES + " bytes (expected: one line holding the"
                    + " token)");
        }
        String token = new String(bytes, StandardCharsets.UTF_8).strip();
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                // Never echo the content: it may be a real secret with one stray character.
                throw new Unusable(file + ": not a token (expected: one line of visible ASCII characters, no spaces)");
            }
        }
        if (token.length() < MIN_LENGTH) {
            throw new Unusable(file + ": a token of " + token.length() + " characters (expected: at least "
                    + MIN_LENGTH + ")");
        }
        return token;
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Compares the hashes rather than the strings: {@link MessageDigest#isEqual} is constant-time for equal lengths,
     * and hashing first makes every length equal, so the time taken tells nothing about the token.
     */
    static boolean matches(byte[] expectedHash, String presented) {
        return MessageDigest.isEqual(expectedHash, sha256(presented));
    }
}
