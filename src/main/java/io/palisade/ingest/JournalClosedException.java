package io.palisade.ingest;

/** The journal was closed (the gateway is stopping) before this write was taken (the gateway answers 503). */
final class JournalClosedException extends RuntimeException {
    JournalClosedException() {
        super("the ingest journal is closed");
    }
}
