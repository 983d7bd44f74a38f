package io.palisade.ratelimit;

import io.palisade.error.ErrorKind;
import java.util.Optional;

/**
 * A concurrency limit per cluster that follows the cluster's latency (a gradient limiter in the style of Netflix's
 * concurrency-limits), and sheds the heaviest consumers' excess first when the limit is reached.
 *
 * <p><b>The limit.</b> Every {@code window} completed requests, with {@code short} = their mean latency and
 * {@code long} = an exponential average of past windows' means over about 600 requests (weight {@code window / 600} per
 * window; it also decays 5% per window while more than twice {@code short}, so it follows a faster cluster down
 * quickly):
 * <ul>
 *   <li>if any request of the window was {@code dropped} (timed out, or the upstream refused it for overload):
 *       {@code limit = limit x 0.9};</li>
 *   <li>otherwise {@code gradient = clamp(tolerance x long / short, 0.5, 1)} and
 *       {@code target = limit x gradient + sqrt(limit)}, and the limit moves a fifth of the way to the target; it does
 *       not grow while fewer than half of it were in use in the window (no evidence the cluster can take more).</li>
 * </ul>
 * The limit stays within {@code [min, max]}. Latency within {@code tolerance} of the baseline lets it grow by about
 * {@code sqrt(limit)/5} per window; latency rising well above it cuts it by up to 10% per window, until the baseline
 * has adapted to the new latency.
 *
 * <p><b>Fair shedding.</b> With {@code L} the limit, {@code I} the requests in flight on the cluster, {@code c} those of
 * the asking consumer and {@code n} the other consumers with requests in flight: the consumer's fair share is
 * {@code S = ceil(L / (n + 2))} (one share held back for a consumer not yet seen), and the reserve is
 * {@code R = max(1, ceil(L / 10))}. A consumer below its share ({@code c < S}) is admitted while {@code I < L}; a consumer
 * at or above its share only while {@code I < L - R}. So when the cluster is at its limit, the consumers holding the
 * most are refused first, and the last {@code R} slots are always left to consumers below their share: a flooding
 * tenant can never take the whole cluster. Pass the client address as the consumer for anonymous requests.
 *
 * <p>A refusal says which of the two it was ({@link Refusal}): a consumer at or above its share is shed
 * ({@link Refusal#SHED}, 503 {@code load_shed}: its own excess, which SLOs leave out, so one tenant's flood spends
 * nobody's error budget); a consumer below its share refused because the whole cluster is at its limit
 * ({@link Refusal#SATURATED}, 503 {@code upstream_overloaded}: the service is failing that consumer, and SLOs count it).
 * Both carry Retry-After. {@code admit} is lock-free and allocates only the permit; a completion
 * updates the limit under a lock that is only ever tried, never waited for (a sample arriving while another thread
 * updates the limit is skipped).
 */
public interface AdaptiveConcurrency {
    /** How a heavy consumer's shed request is answered: 503 {@code load_shed} with Retry-After. */
    ErrorKind REJECTION = ErrorKind.LOAD_SHED;

    /** What {@link #admit} decided: a {@link Permit}, or a {@link Refusal}. */
    sealed interface Admission permits Permit, Refusal {}

    /** Why a request was refused, and how it is answered. */
    enum Refusal implements Admission {
        /** The consumer held its fair share or more: its excess is shed. */
        SHED(ErrorKind.LOAD_SHED),
        /** The consumer was below its share, and the cluster had no slot left even for it. */
        SATURATED(ErrorKind.UPSTREAM_OVERLOADED);

        private final ErrorKind kind;

        Refusal(ErrorKind kind) {
            this.kind = kind;
        }

        public ErrorKind kind() {
            return kind;
        }
    }

    /** A limiter for one cluster; admits everything while {@code enabled} is false. */
    static AdaptiveConcurrency create(AdaptiveConcurrencySettings settings) {
        return new GradientConcurrency(settings);
    }

    /** One request in flight on the cluster. The first of {@link #onComplete} and {@link #release} counts. */
    non-sealed interface Permit extends Admission {
        /**
         * The exchange ended.
         *
         * @param latencyNanos from sending the request upstream to the end of the response
         * @param dropped      it timed out or the upstream signalled overload (e.g. 503, connection refused)
         */
        void onComplete(long latencyNanos, boolean dropped);

        /** The exchange ended without a latency sample (e.g. the client went away first). */
        void release();
    }

    /** A slot for {@code consumer}, or the reason there is none. */
    Admission admit(String consumer);

    /** A slot for {@code consumer}, or empty when the cluster is at its limit for this consumer. */
    default Optional<Permit> tryAcquire(String consumer) {
        return admit(consumer) instanceof Permit p ? Optional.of(p) : Optional.empty();
    }

    /** The current limit ({@link Integer#MAX_VALUE} when disabled). */
    int limit();

    int inFlight();

    int inFlight(String consumer);

    /** Requests refused since start. */
    long rejections();

    /** Applies reloaded settings; the current limit is kept, clamped into the new bounds. */
    void update(AdaptiveConcurrencySettings next);
}
