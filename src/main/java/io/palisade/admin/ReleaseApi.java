package io.palisade.admin;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

public interface ReleaseApi {
    CompletionStage<AdminReply> diff(String yaml);
    CompletionStage<AdminReply> apply(ApplyRequest request, Caller caller);
    CompletionStage<AdminReply> versions();
    CompletionStage<AdminReply> version(long number);
    CompletionStage<AdminReply> rollout();
    CompletionStage<AdminReply> rolloutControl(String action, Caller caller);
    CompletionStage<AdminReply> rollback(OptionalLong version, Caller caller);
    CompletionStage<AdminReply> audit(Optional<Instant> since, int limit);
    void refused(Caller caller, String method, String path, int status, String reason);
}
