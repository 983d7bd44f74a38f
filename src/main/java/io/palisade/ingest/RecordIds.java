package io.palisade.ingest;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/**
 * Record ids: UUID version 7 (RFC 9562), the millisecond of acceptance followed by random bits. Time-ordered, so an
 * operator reading a quarantine sees ids sort the way records arrived; random enough that one gateway's ids never
 * collide with another's, so an upstream can dedupe deliveries from several gateways by {@code Idempotency-Key}.
 */
final class RecordIds {
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    RecordIds(Clock clock) {
        this.clock = clock;
    }

    String next() {
        long millis = clock.millis();
        long randA = random.nextLong();
        long randB = random.nextLong();
        long msb = (millis << 16) | 0x7000L | (randA & 0x0FFFL);
        long lsb = (randB & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb).toString();
    }
}
