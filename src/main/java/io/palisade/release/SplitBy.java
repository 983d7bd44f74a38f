package io.palisade.release;

import java.util.Locale;

/**
 * What binds a request to the canary or the baseline. {@code client_ip} and {@code consumer} are sticky: one client
 * (or one credential) sees one version for a whole step, and keeps it as the share grows, since the share only grows.
 */
public enum SplitBy {
    CLIENT_IP, CONSUMER, REQUEST;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
