package io.palisade.status;

import java.security.SecureRandom;

/**
 * Ids shaped like Statuspage's: 12 characters of {@code [a-z0-9]} (62 bits), random so that ids from two gateways
 * sharing one store do not collide and a public id says nothing about how many incidents there were.
 */
final class Ids {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    static String next() {
        char[] id = new char[12];
        for (int i = 0; i < id.length; i++) {
            id[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }
}
