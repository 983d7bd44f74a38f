package io.palisade.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.palisade.admin.AdminReply;
import io.palisade.admin.ReloadResult;
import java.util.ArrayList;
import java.util.List;

/** A reload's answer in the shape {@code POST /config/reload} has always had, from the release path's reply. */
final class ReloadReplies {
    private ReloadReplies() {}

    static ReloadResult result(AdminReply reply, String liveVersion) {
        JsonNode body = reply.body();
        if (reply.status() == 200 || reply.status() == 201) {
            return ReloadResult.applied(body.path("version").asText(liveVersion));
        }
        List<String> errors = new ArrayList<>();
        body.path("errors").forEach(e -> errors.add(e.asText()));
        if (errors.isEmpty()) {
            errors.add(body.path("message").asText("refused (" + reply.status() + ")"));
        }
        return ReloadResult.refused(liveVersion, errors);
    }
}
