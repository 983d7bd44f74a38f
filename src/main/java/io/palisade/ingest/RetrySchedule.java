package io.palisade.ingest;

import io.palisade.route.IngestAction;
import io.palisade.store.IngestLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * What a delivery attempt leads to, and when the next one is made: pure decisions over an injected clock and random
 * source, so they are tested without a network or a wait.
 *
 * <p><b>Classification.</b> 2xx: delivered. 408, 425, 429, any 5xx, a failed connect, a timeout, a broken connection,
 * no endpoint available, the cluster at its request limit: tried again. Any other status (other 4xx, 3xx, 1xx) will
 * not change by asking again: quarantined at once, with a reason naming the status.
 *
 * <p><b>Backoff.</b> After {@code n} failed attempts the next waits a random time in {@code [0, min(max, initial *
 * 2^(n-1))]} (full jitter, so a backlog that failed together does not come back together), computed without overflow
 * for any {@code n}.
 *
 * <p><b>Retry-After.</b> When the upstream's {@code Retry-After} (delta-seconds, or an HTTP-date read against the
 * injected clock, in any of the three forms RFC 9110 §5.6.7 names) asks for longer than the backoff drew, it is
 * honoured, but never beyond {@code retry.max}: the operator's ceiling bounds every wait, so an upstream cannot park
 * a route's records for a day with one header. A value that does not parse is ignored.
 *
 * <p><b>Giving up.</b> A record is quarantined after a retryable failure only when both are spent: at least
 * {@code retry.attempts} attempts, and at least {@code retry.maxAge} since its {@code retrySince} (when it was
 * accepted, or last replayed). So a short outage never costs records however many attempts it burns, and a record
 * that failed a few times over a long quiet period still gets its attempts.
 *
 * <p>Not thread-safe when the random source is not: the forwarder calls it from its own thread.
 */
final class RetrySchedule {
    private static final DateTimeFormatter IMF_FIXDATE = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("d MMM yyyy HH:mm:ss").toFormatter(Locale.ROOT);
    private static final DateTimeFormatter RFC_850 = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("d-MMM-").appendValueReduced(ChronoField.YEAR, 2, 2, 2000)
            .appendPattern(" HH:mm:ss").toFormatter(Locale.ROOT);
    private static final DateTimeFormatter ASCTIME = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("MMM d HH:mm:ss yyyy").toFormatter(Locale.ROOT);

    private final Clock clock;
    private final RandomGenerator random;

    RetrySchedule(Clock clock, RandomGenerator random) {
        this.clock = clock;
        this.random = random;
    }

    /** How an attempt is classified, before the give-up rule. */
    enum Verdict { DELIVERED, RETRY, QUARANTINE }

    static Verdict classify(DeliveryResult result) {
        return switch (result.failure()) {
            case NONE -> classify(result.status());
            case CONNECT_FAILED, TIMEOUT, RESET, UNAVAILABLE -> Verdict.RETRY;
            case UNSENDABLE -> Verdict.QUARANTINE;
        };
    }

    static Verdict classify(int status) {
        if (status >= 200 && status <= 299) {
            return Verdict.DELIVERED;
        }
        if (status == 408 || status == 425 || status == 429 || status >= 500 && status <= 599) {
            return Verdict.RETRY;
        }
        return Verdict.QUARANTINE;
    }

    /**
     * The result to record for an attempt on {@code record} that started at {@code startedAt} and came to
     * {@code result} at {@code now}.
     */
    IngestLog.AttemptResult decide(IngestAction.Retry retry, IngestLog.Pending record, Instant startedAt,
                                   DeliveryResult result, Instant now) {
        String id = record.id();
        int status = result.status();
        String error = result.error();
        return switch (classify(result)) {
            case DELIVERED -> new IngestLog.AttemptResult(id, startedAt, status, error, IngestLog.Result.DELIVERED,
                    now, "");
            case QUARANTINE -> new IngestLog.AttemptResult(id, startedAt, status, error, IngestLog.Result.QUARANTINE,
                    now, result.answered()
                            ? "the upstream answered " + status + ", which is not retried"
                            : "cannot be sent: " + error);
            case RETRY -> {
                int attempts = record.attempts() + 1;
                if (giveUp(retry, attempts, record.retrySince(), now)) {
                    yield new IngestLog.AttemptResult(id, startedAt, status, error, IngestLog.Result.QUARANTINE, now,
                            "gave up after " + attempts + " attempts over "
                                    + human(Duration.between(record.retrySince(), now)) + "; last: "
                                    + (result.answered() ? "status " + status : error));
                }
                Duration wait = delay(retry, attempts, result.retryAfter());
                yield new IngestLog.AttemptResult(id, startedAt, status, error, IngestLog.Result.RETRY,
                        now.plus(wait), "");
            }
        };
    }

    /** The give-up rule: both the attempts and the age are spent. */
    static boolean giveUp(IngestAction.Retry retry, int attempts, Instant retrySince, Instant now) {
        return attempts >= retry.attempts() && Duration.between(retrySince, now).compareTo(retry.maxAge()) >= 0;
    }

    /**
     * The wait before the next attempt after {@code failedAttempts} (from 1) failed: the jittered backoff, or the
     * upstream's {@code Retry-After} when that asks for longer, never beyond {@code retry.max}.
     */
    Duration delay(IngestAction.Retry retry, int failedAttempts, Optional<String> retryAfter) {
        Duration backoff = backoff(retry, failedAttempts);
        Optional<Duration> asked = retryAfter.flatMap(this::retryAfter);
        if (asked.isEmpty() || asked.get().compareTo(backoff) <= 0) {
            return backoff;
        }
        return asked.get().compareTo(retry.max()) > 0 ? retry.max() : asked.get();
    }

    /** Full jitter: uniform in {@code [0, min(max, initial * 2^(n-1))]}, in nanoseconds. */
    Duration backoff(IngestAction.Retry retry, int failedAttempts) {
        long ceiling = ceilingNanos(retry, failedAttempts);
        if (ceiling <= 0) {
            return Duration.ZERO;
        }
        long drawn = ceiling == Long.MAX_VALUE ? random.nextLong(ceiling) : random.nextLong(ceiling + 1);
        return Duration.ofNanos(drawn);
    }

    /**
     * How long a route takes no new record after {@code rounds} windows of {@code concurrency} failed attempts in a
     * row: "equal jitter" over the same doubling ceiling as {@link #backoff} (half of it, plus up to the other half),
     * so a dead cluster is asked about a window's worth of records per pause instead of the whole backlog at once.
     */
    Duration pause(IngestAction.Retry retry, int rounds) {
        long ceiling = ceilingNanos(retry, rounds);
        long half = ceiling / 2;
        long rest = ceiling - half;
        return Duration.ofNanos(half + (rest <= 0 ? 0 : random.nextLong(rest + 1)));
    }

    /** {@code min(max, initial * 2^(n-1))} in nanoseconds, saturating instead of overflowing. */
    static long ceilingNanos(IngestAction.Retry retry, int failedAttempts) {
        long max = nanos(retry.max());
        long initial = Math.min(nanos(retry.initial()), max);
        if (initial <= 0) {
            return 0;
        }
        int shift = Math.max(0, failedAttempts - 1);
        if (shift >= 63 || initial > (max >> shift)) {
            return max;
        }
        return Math.min(max, initial << shift);
    }

    /**
     * A {@code Retry-After} value as a wait from now: delta-seconds, or an HTTP-date (IMF-fixdate, RFC 850 or asctime)
     * against the clock, 0 for a date already past; empty when it is neither.
     */
    Optional<Duration> retryAfter(String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            // Saturate rather than fail on absurd values: the cap in delay() applies either way.
            return Optional.of(v.length() > 12 ? Duration.ofSeconds(999_999_999_999L)
                    : Duration.ofSeconds(Long.parseLong(v)));
        }
        return httpDate(v).map(at -> {
            Duration d = Duration.between(clock.instant(), at);
            return d.isNegative() ? Duration.ZERO : d;
        });
    }

    private Optional<Instant> httpDate(String v) {
        try {
            int comma = v.indexOf(',');
            if (comma > 0) {
                String rest = stripZone(v.substring(comma + 1).trim());
                if (rest.indexOf('-') > 0) {
                    Instant at = LocalDateTime.parse(rest, RFC_850).toInstant(ZoneOffset.UTC);
                    // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is in the past century.
                    Instant limit = clock.instant().atOffset(ZoneOffset.UTC).plusYears(50).toInstant();
                    return Optional.of(at.isAfter(limit)
                            ? at.atOffset(ZoneOffset.UTC).minusYears(100).toInstant() : at);
                }
                return Optional.of(LocalDateTime.parse(rest, IMF_FIXDATE).toInstant(ZoneOffset.UTC));
            }
            int space = v.indexOf(' ');
            if (space > 0) {
                String rest = v.substring(space + 1).trim().replaceAll(" +", " ");
                return Optional.of(LocalDateTime.parse(rest, ASCTIME).toInstant(ZoneOffset.UTC));
            }
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String stripZone(String s) {
        String upper = s.toUpperCase(Locale.ROOT);
        if (upper.endsWith(" GMT") || upper.endsWith(" UTC")) {
            return s.substring(0, s.length() - 4).trim();
        }
        throw new DateTimeParseException("no GMT zone", s, s.length());
    }

    private static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }

    /** A short human duration for reasons: {@code 45s}, {@code 12m 3s}, {@code 26h 4m}. */
    static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m " + s % 60 + "s";
        }
        return s / 3600 + "h " + s % 3600 / 60 + "m";
    }
}
