package io.palisade.release;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.palisade.admin.AdminReply;
import io.palisade.config.ConfigException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code POST /config/diff}: what a file would change against the active version, secrets never shown. */
final class ReleaseDiff {
    private static final JsonNode REDACTED = TextNode.valueOf("<redacted>");

    private ReleaseDiff() {}

    static <P> AdminReply reply(Deployment<P, ?> deployment, P active, long activeNumber, String yaml) {
        P next;
        try {
            next = deployment.parse(yaml);
        } catch (ConfigException e) {
            return ReleaseJson.errors(422, e.errors());
        }
        List<ConfigDiff.Change> changes = ConfigDiff.between(deployment.tree(active, false),
                deployment.tree(next, false));
        // The values shown come from the redacted trees: a changed secret shows as a change, never as its value.
        Map<String, ConfigDiff.Change> shown = new HashMap<>();
        for (ConfigDiff.Change c : ConfigDiff.between(deployment.tree(active, true), deployment.tree(next, true))) {
            shown.put(c.path(), c);
        }
        ObjectNode o = ReleaseJson.JSON.createObjectNode();
        o.put("equal", changes.isEmpty());
        o.put("active", activeNumber);
        ArrayNode list = o.putArray("changes");
        for (ConfigDiff.Change c : changes) {
            ObjectNode ch = list.addObject();
            ch.put("path", c.path());
            ch.put("change", c.kind().name().toLowerCase(Locale.ROOT));
            ConfigDiff.Change visible = shown.get(c.path());
            ch.set("from", visible != null ? value(visible.from()) : REDACTED);
            ch.set("to", visible != null ? value(visible.to()) : REDACTED);
        }
        return ReleaseJson.ok(o);
    }

    private static JsonNode value(JsonNode n) {
        return n == null || n.isMissingNode() ? NullNode.getInstance() : n;
    }
}
