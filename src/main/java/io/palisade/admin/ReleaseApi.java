package io.palisade.admin;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

/**
 * Versioned config releases and staged rollouts, as the admin port serves them (docs/admin-api.md has the JSON). The
 * gateway implements it; the admin server checks the token, the loopback rule and the body, then hands the call over
 * and writes whatever {@link AdminReply} comes back.
 *
 * <p>Every method is called on the admin event loop and must not block it: work that touches a database or a file
 * runs on the implementation's own thread, and the stage completes there. A stage that fails is answered with a 500
 * that carries no detail; the failure is logged.
 */
public interface ReleaseApi {
    /** {@code POST /config/diff}: the structural difference between {@code yaml} and the active version. */
    CompletionStage<AdminReply> diff(String yaml);

    /** {@code POST /config/versions}: validate, pre-flight, store and start a rollout (201, 409, 422 ...). */
    CompletionStage<AdminReply> apply(ApplyRequest request, Caller caller);

    /** {@code GET /config/versions}: every version, newest first. */
    CompletionStage<AdminReply> versions();

    /** {@code GET /config/versions/N}, {@code number} at least 1: one version with its (redacted) YAML, or 404. */
    CompletionStage<AdminReply> version(long number);

    /** {@code GET /config/rollout}: the rollout in progress, or the last one. */
    CompletionStage<AdminReply> rollout();

    /** {@code POST /config/rollout/ACTION}; action: promote, pause, resume, abort. */
    CompletionStage<AdminReply> rolloutControl(String action, Caller caller);

    /** {@code POST /config/rollback}: to {@code version}, or when empty to the one before the active one. */
    CompletionStage<AdminReply> rollback(OptionalLong version, Caller caller);

    /** {@code GET /audit}: entries at or after {@code since}, oldest first, at most {@code limit} (1..10000). */
    CompletionStage<AdminReply> audit(Optional<Instant> since, int limit);

    /**
     * A refused admin call (401, 403, 413, 429, 400 ...) worth an audit row: the lead writes it to the audit log.
     * Called on the admin event loop; an exception it throws is logged and does not change the answer.
     */
    void refused(Caller caller, String method, String path, int status, String reason);

    /**
     * For a gateway that keeps no release history: every release call answers 503 {@code releases_unavailable}, and
     * refused calls are logged (rate-limited) since there is no audit to write them to.
     */
    static ReleaseApi unavailable() {
        return NoReleases.INSTANCE;
    }
}
