package io.palisade.admin;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the admin port's {@code GET /alerts} answers: the gateway implements it over its alert engine
 * ({@code io.palisade.alert}). The call completes with the status and JSON body to send,
 * {@code {"active": [...], "recent": [...]}}, and must not block the admin event loop.
 */
public interface AlertApi {
    /** {@code GET /alerts}: the firing alerts and the recently resolved ones, each with its evidence. */
    CompletionStage<AdminReply> alerts();

    /** For a gateway without an alert engine: a 404. */
    static AlertApi none() {
        AdminReply missing = new AdminReply(404, Responses.JSON.createObjectNode()
                .put("error", "not_found").put("message", "This gateway has no alert engine."));
        CompletionStage<AdminReply> reply = CompletableFuture.completedFuture(missing);
        return () -> reply;
    }
}
