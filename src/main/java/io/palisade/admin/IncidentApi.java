package io.palisade.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the admin port's {@code /incidents} and {@code /maintenances} resources do: the gateway implements it over its
 * status page's incident book. Bodies arrive parsed (a JSON object) and the implementation checks their fields; each
 * call completes with the status and JSON body to send and none may block the admin event loop. Every change names
 * its caller, who becomes the person the incident's history shows.
 */
public interface IncidentApi {
    /** {@code GET /incidents}: all, newest first, drafts included (marked {@code "draft": true}). */
    CompletionStage<AdminReply> incidents();

    /** {@code GET /incidents/ID}; 404 for an unknown id. */
    CompletionStage<AdminReply> incident(String id);

    /** {@code POST /incidents}: opens one ({@code name, message, status, impact, components, draft}). */
    CompletionStage<AdminReply> open(ObjectNode body, Caller caller);

    /** {@code PATCH /incidents/ID}: an update ({@code message, status, impact, name, components}). */
    CompletionStage<AdminReply> update(String id, ObjectNode body, Caller caller);

    /** {@code POST /incidents/ID/publish}: a draft goes on the public page. */
    CompletionStage<AdminReply> publish(String id, Caller caller);

    /** {@code PUT /incidents/ID/postmortem}: the postmortem's text of a resolved incident. */
    CompletionStage<AdminReply> postmortem(String id, String text, Caller caller);

    /** {@code GET /maintenances}: all, the latest scheduled first. */
    CompletionStage<AdminReply> maintenances();

    /**
     * {@code POST /maintenances}: schedules one ({@code name, scheduled_for, scheduled_until, components, message}).
     */
    CompletionStage<AdminReply> schedule(ObjectNode body, Caller caller);

    /** For a gateway without a {@code status_page} section: every call is a 404 saying so. */
    static IncidentApi none() {
        AdminReply missing = new AdminReply(404, Responses.JSON.createObjectNode().put("error", "not_found")
                .put("message", "This gateway has no status page: incidents and maintenances need a status_page"
                        + " section in its config."));
        CompletionStage<AdminReply> reply = CompletableFuture.completedFuture(missing);
        return new IncidentApi() {
            @Override
            public CompletionStage<AdminReply> incidents() {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> incident(String id) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> open(ObjectNode body, Caller caller) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> update(String id, ObjectNode body, Caller caller) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> publish(String id, Caller caller) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> postmortem(String id, String text, Caller caller) {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> maintenances() {
                return reply;
            }

            @Override
            public CompletionStage<AdminReply> schedule(ObjectNode body, Caller caller) {
                return reply;
            }
        };
    }
}
