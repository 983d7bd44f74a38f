package io.palisade.tls;

/**
 * A certificate, key or CA file that cannot serve, with the key of the {@code tls:} block it was named by
 * ({@code certificates[0].cert_file}, {@code client_ca_file}, {@code ca_file}); the message names the file.
 */
public final class TlsFileException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String key;

    TlsFileException(String key, String message) {
        super(message, null, false, false);
        this.key = key;
    }

    /** The key inside the {@code tls:} block, e.g. {@code certificates[1].key_file}. */
    public String key() {
        return key;
    }

    /** {@code prefix.key: message}, as a config error reads. */
    public String describe(String prefix) {
        return prefix + "." + key + ": " + getMessage();
    }
}
