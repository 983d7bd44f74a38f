package io.palisade.ratelimit;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount per period as written in the config: {@code 100/s}, {@code 50/m}, {@code 1000/h}, {@code 100000/d}.
 *
 * @param amount requests allowed per period, at least 1
 * @param period one second, minute, hour or day
 */
public record Rate(long amount, Duration period) {
    /** The fastest rate accepted: finer than a microsecond per request cannot be counted exactly in Redis. */
    public static final long MAX_PER_SECOND = 1_000_000;

    private static final Pattern SYNTAX = Pattern.compile("(\\d{1,12})\\s*/\\s*([smhd])");

    public Rate {
        if (amount < 1) {
            throw new IllegalArgumentException("amount must be >= 1: " + amount);
        }
        if (period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("period must be > 0: " + period);
        }
    }

    /** Parses {@code N/s|m|h|d}; empty when the text does not match. */
    public static Optional<Rate> parse(String text) {
        Matcher m = SYNTAX.matcher(text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        long amount = Long.parseLong(m.group(1));
        if (amount < 1) {
            return Optional.empty();
        }
        Duration period = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(1);
            case "m" -> Duration.ofMinutes(1);
            case "h" -> Duration.ofHours(1);
            default -> Duration.ofDays(1);
        };
        return Optional.of(new Rate(amount, period));
    }

    /** Nanoseconds between two requests at this rate (the GCRA emission interval), rounded to the nearest. */
    public long intervalNanos() {
        long p = period.toNanos();
        return Math.max(1, (p + amount / 2) / amount);
    }

    /** The period in whole seconds, the {@code w} of the RateLimit-Policy header. */
    public long periodSeconds() {
        return period.toSeconds();
    }

    @Override
    public String toString() {
        long s = period.toSeconds();
        String unit = s == 1 ? "s" : s == 60 ? "m" : s == 3600 ? "h" : "d";
        return amount + "/" + unit;
    }
}
