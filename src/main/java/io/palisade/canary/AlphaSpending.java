package io.palisade.canary;

/**
 * How much of the rollout's {@code alpha} each look may spend, so that the chance of any false rollback over all looks
 * stays within {@code alpha} however many looks are taken.
 *
 * <p>The planned looks follow the Lan-DeMets spending function of Pocock type, {@code alpha * ln(1 + (e - 1) t)} at
 * the fraction {@code t = look / maxLooks} of the rollout: look {@code k} spends its increment. It gives early looks
 * more than an even split (6.9% of alpha for the first of 24, against 4.2%), which is when a broken canary must be
 * caught, and the late looks a little less (2.7%). The looks are then combined by the union bound (Bonferroni with
 * unequal shares), which holds for looks as dependent as cumulative windows are: the chance that any look rejects a
 * true null is at most the sum of their alphas.
 *
 * <p>A step may hold longer than planned. Look {@code maxLooks + j} spends the last planned share divided by
 * {@code (j + 1)^2}: never more than the look before, and the series converges, so the whole is scaled once so that
 * planned and extra looks together spend exactly {@code alpha}. The judge stays sensitive for long (a share falls
 * polynomially, and a real regression's p-value falls exponentially with the requests).
 */
final class AlphaSpending {
    private static final double EXTRA_SERIES = Math.PI * Math.PI / 6 - 1; // sum over j >= 1 of 1 / (j + 1)^2

    private final double[] planned;
    private final double last;

    AlphaSpending(double alpha, int maxLooks) {
        if (!(alpha > 0 && alpha < 1) || maxLooks < 1) {
            throw new IllegalArgumentException("alpha: " + alpha + ", maxLooks: " + maxLooks);
        }
        double[] shares = new double[maxLooks];
        for (int k = 1; k <= maxLooks; k++) {
            shares[k - 1] = spent((double) k / maxLooks) - spent((double) (k - 1) / maxLooks);
        }
        double scale = alpha / (1 + shares[maxLooks - 1] * EXTRA_SERIES);
        planned = new double[maxLooks];
        for (int k = 0; k < maxLooks; k++) {
            planned[k] = shares[k] * scale;
        }
        last = planned[maxLooks - 1];
    }

    private static double spent(double t) {
        return Math.log1p((Math.E - 1) * t);
    }

    /** The alpha look {@code look} (1 for the first) may spend. */
    double forLook(long look) {
        if (look < 1) {
            throw new IllegalArgumentException("look: " + look);
        }
        if (look <= planned.length) {
            return planned[(int) look - 1];
        }
        double j = look - planned.length;
        return last / ((j + 1) * (j + 1));
    }
}
