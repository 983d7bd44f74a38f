package io.palisade.admin;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the admin port's {@code /ingest} resources do: the gateway implements it over its ingest store. Each call
 * completes with the status and JSON body to send; none may block the admin event loop.
 */
public interface IngestApi {
    /** {@code GET /ingest}: per route backlog, oldest age, in flight, delivered, retried, quarantined, bytes. */
    CompletionStage<AdminReply> status();

    /** {@code GET /ingest/ROUTE/quarantine}; 404 for a route that is neither configured nor has records. */
    CompletionStage<AdminReply> quarantine(String route, int limit);

    /** {@code GET /ingest/ROUTE/records/ID}: headers, body excerpt and every attempt; 404 when not stored. */
    CompletionStage<AdminReply> record(String route, String id);

    /** {@code POST /ingest/ROUTE/quarantine/replay} with {@code {"ids": [...]}} or {@code {"all": true}}. */
    CompletionStage<AdminReply> replay(String route, List<String> ids, boolean all, Caller caller);

    /** {@code DELETE /ingest/ROUTE/quarantine} with the same body: deletes quarantined records. */
    CompletionStage<AdminReply> purge(String route, List<String> ids, boolean all, Caller caller);

    /** For a gateway without an ingest store: every call is a 404. */
    static IngestApi none() {
        AdminReply missing = new AdminReply(404, Responses.JSON.createObjectNode()
                .put("error", "not_found").put("message", "This gateway has no ingest store."));
        CompletionStage<AdminReply> reply = CompletableFuture.completedFuture(missing);
        return new IngestApi() {
            @Override
            public CompletionStage<AdminReply> status() {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> quarantine(String route, int limit) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> record(String route, String id) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> replay(String route, List<String> ids, boolean all, Caller caller) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> purge(String route, List<String> ids, boolean all, Caller caller) {
                return reply;
            }
        };
    }
}
