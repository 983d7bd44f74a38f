package io.palisade.admin;

import io.palisade.time.RateLimitedLog;
import io.palisade.time.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ReleaseApi#unavailable()}: no release history behind the admin port; refusals go to the log instead. */
final class NoReleases implements ReleaseApi {
    private static final Logger log = LoggerFactory.getLogger(NoReleases.class);
    static final NoReleases INSTANCE = new NoReleases();
    /** A scanner knocking on the port must not flood the log: one line per status every ten seconds. */
    private final RateLimitedLog refusals = RateLimitedLog.every(Duration.ofSeconds(10), log, Ticker.system());

    private NoReleases() {}

    private static CompletionStage<AdminReply> unavailable() {
        return CompletableFuture.completedFuture(new AdminReply(503, Responses.errorNode("releases_unavailable",
                "This gateway keeps no config release history.")));
    }

    @Override
    public CompletionStage<AdminReply> diff(String yaml) {
        return unavailable();
    }

    @Override
    public CompletionStage<AdminReply> apply(ApplyRequest request, Caller caller) {
        return unavailable();
    }

    @Override
    public CompletionStage<AdminReply> versions() {
        return unavailable();
    }

    @Override
    public CompletionStage<AdminReply> version(long number) {
        return unavailable();
    }

    @Override
    public CompletionStage<AdminReply> rollout() {
        return unavailable();
    }

    @Override
    public CompletionStage<AdminReply> rolloutControl(String action, Caller caller) {
        return unavailable();
    }

    @Override
    public CompletionStage<AdminReply> rollback(OptionalLong version, Caller caller) {
        return unavailable();
    }

    @Override
    public CompletionStage<AdminReply> audit(Optional<Instant> since, int limit) {
        return unavailable();
    }

    @Override
    public void refused(Caller caller, String method, String path, int status, String reason) {
        // The address rather than describe(): a caller refused for its token is not authenticated, and describe()
        // cannot tell that apart from a loopback caller while no token file is set.
        refusals.warn(Integer.toString(status), "admin " + method + " " + path + " from " + caller.address()
                + " refused with " + status + ": " + reason, null);
    }
}
