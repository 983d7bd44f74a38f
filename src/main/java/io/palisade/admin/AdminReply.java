package io.palisade.admin;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a {@link ReleaseApi} call answers: the HTTP status and the JSON body the admin port sends as they are.
 *
 * <pre>{@code
 * new AdminReply(422, json.createObjectNode().set("errors", json.createArrayNode().add("routes: missing")));
 * }</pre>
 */
public record AdminReply(int status, JsonNode body) {
    public AdminReply {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
        }
        java.util.Objects.requireNonNull(body, "body");
    }
}
