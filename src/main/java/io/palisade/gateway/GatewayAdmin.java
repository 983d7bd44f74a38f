package io.palisade.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import io.palisade.admin.AdminBackend;
import io.palisade.admin.ReloadResult;
import io.palisade.config.Address;
import io.palisade.upstream.Cluster;
import java.util.concurrent.CompletionStage;

/** What the admin port reads from the gateway: readiness, metrics, the live config, clusters; and the reload. */
final class GatewayAdmin implements AdminBackend {
    /** Admin JSON: Optionals as values or null, addresses as {@code host:port}. */
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new Jdk8Module())
            .registerModule(new SimpleModule().addSerializer(Address.class, ToStringSerializer.instance));

    private final Gateway gateway;

    GatewayAdmin(Gateway gateway) {
        this.gateway = gateway;
    }

    @Override
    public boolean ready() {
        return gateway.serving() && !gateway.runtime().draining();
    }

    @Override
    public String metrics() {
        return gateway.metrics().scrape();
    }

    @Override
    public JsonNode config() {
        ConfigLoader.Loaded live = gateway.live();
        ObjectNode out = JSON.createObjectNode();
        out.put("version", Long.parseLong(live.config().version()));
        // The stored hash: computing it again would read the files the config names, on the admin event loop.
        out.put("hash", gateway.releases().activeVersion().hash());
        out.set("config", ConfigLoader.redacted(live.tree()));
        return out;
    }

    @Override
    public JsonNode clusters() {
        ArrayNode out = JSON.createArrayNode();
        for (Cluster c : gateway.clusters().clusters()) {
            out.add(JSON.valueToTree(c.snapshot()));
        }
        return out;
    }

    @Override
    public CompletionStage<ReloadResult> reload() {
        return gateway.reload();
    }
}
