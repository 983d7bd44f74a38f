package io.palisade.ingest;

/** The journal's queue is full: the disk does not keep up with what is accepted (the gateway answers 503). */
final class JournalBusyException extends RuntimeException {
    JournalBusyException(int capacity) {
        super("the ingest journal's queue is full (" + capacity + " writes waiting for the disk)");
    }
}
