package io.palisade.store;

/** A write refused because the disk (or the database's size limit) is full; nothing of its transaction was kept. */
public final class StoreFullException extends StoreException {
    public StoreFullException(String what, Throwable cause) {
        super(what, cause);
    }
}
