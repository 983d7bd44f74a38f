package io.palisade.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The JSON of {@code GET /alerts}:
 *
 * <pre>{@code
 * {"active": [{"name": "slo_burn", "labels": {"slo": "orders-availability"}, "severity": "page",
 *              "state": "firing", "since": "2026-03-01T10:00:00Z", "until": null,
 *              "summary": "orders-availability is burning its error budget 52.0x over 1h ...",
 *              "evidence": {"objective": 0.999, "burn_rate_1h": 52.0, "requests_1h": 3120, ...}}],
 *  "recent": [ ...resolved ones, newest first, with "until" set... ]}
 * }</pre>
 */
final class AlertJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private AlertJson() {}

    static ObjectNode alerts(List<Alert> active, List<Alert> recent) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray("active");
        active.forEach(alert -> a.add(alert(alert)));
        ArrayNode r = root.putArray("recent");
        recent.forEach(alert -> r.add(alert(alert)));
        return root;
    }

    static ObjectNode alert(Alert alert) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", alert.name());
        ObjectNode labels = o.putObject("labels");
        alert.labels().forEach(labels::put);
        o.put("severity", alert.severity().label());
        o.put("state", alert.state().label());
        o.put("since", alert.since().toString());
        if (alert.until().isPresent()) {
            o.put("until", alert.until().get().toString());
        } else {
            o.putNull("until");
        }
        o.put("summary", alert.summary());
        ObjectNode evidence = o.putObject("evidence");
        alert.evidence().forEach((k, v) -> {
            switch (v) {
                case Long l -> evidence.put(k, l);
                case Double d -> {
                    if (Double.isFinite(d)) {
                        evidence.put(k, d);
                    } else {
                        evidence.put(k, d.toString()); // JSON has no NaN or Infinity
                    }
                }
                case Boolean b -> evidence.put(k, b);
                default -> evidence.put(k, v.toString());
            }
        });
        return o;
    }
}
