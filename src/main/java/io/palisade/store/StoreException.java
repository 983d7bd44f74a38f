package io.palisade.store;

/**
 * A store operation that failed; the message names the operation and, when the database refused it, the database's
 * own words. The transaction it was part of is rolled back.
 */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    /** {@code what} names the operation, e.g. {@code "adding a config version"}; the cause's message follows it. */
    public StoreException(String what, Throwable cause) {
        super(what + ": " + cause.getMessage(), cause);
    }
}
