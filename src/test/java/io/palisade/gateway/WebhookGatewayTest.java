package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.palisade.notify.WebhookSigner;
import io.palisade.status.Actor;
import io.palisade.status.ComponentStatus;
import io.palisade.status.IncidentStatus;
import io.palisade.status.NewIncident;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.GatewayTest;
import io.palisade.testing.Gateways;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.io.TempDir;

/**
 * Status webhooks in the real gateway: an incident opened through the book reaches a real receiver on loopback,
 * signed per Standard Webhooks; a receiver answering 410 is disabled.
 */
class WebhookGatewayTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Got(String id, String timestamp, String signature, String body) {}

    private static HttpServer receiver(int status, List<Got> got) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            got.add(new Got(ex.getRequestHeaders().getFirst("webhook-id"),
                    ex.getRequestHeaders().getFirst("webhook-timestamp"),
                    ex.getRequestHeaders().getFirst("webhook-signature"),
                    new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
        return server;
    }

    private static void open(GatewayFixture gw, String name) {
        gw.gateway().statusPage().book().open(new NewIncident(name, "Looking into it.", IncidentStatus.INVESTIGATING,
                Optional.empty(), Map.of("orders", ComponentStatus.MAJOR_OUTAGE), true), Actor.person("ana"));
    }

    @GatewayTest(loops = {1})
    void anOpenedIncidentReachesASignedReceiver_a410ReceiverIsDisabled(Gateways gateways) throws Exception {
        Path secret = Files.writeString(dir.resolve("hook.secret"), SECRET + "\n");
        List<Got> good = new CopyOnWriteArrayList<>();
        List<Got> gone = new CopyOnWriteArrayList<>();
        HttpServer ok = receiver(200, good);
        HttpServer goneServer = receiver(410, gone);
        try {
            String goneUrl = "http://127.0.0.1:" + goneServer.getAddress().getPort() + "/hook";
            GatewayFixture gw = gateways.start("""
                    status_page:
                      address: 127.0.0.1:0
                      title: Acme API
                      components:
                        - { id: orders, name: Orders API, routes: [orders] }
                    notify:
                      webhooks:
                        - { url: "http://127.0.0.1:%d/hook", secret_file: "%s", timeout: 5s }
                        - { url: "%s", secret_file: "%s" }
                    clusters:
                      orders: { endpoints: [ "127.0.0.1:9" ] }
                    routes:
                      - name: orders
                        match: { path_prefix: /orders }
                        cluster: orders
                    """.formatted(ok.getAddress().getPort(), secret, goneUrl, secret));
            open(gw, "Checkout errors");
            await().atMost(Duration.ofSeconds(30)).until(() -> good.size() >= 2);
            WebhookSigner signer = WebhookSigner.of(SECRET).orElseThrow();
            for (Got g : good) {
                assertThat(signer.verify(g.id(), Long.parseLong(g.timestamp()), g.body(), g.signature())).isTrue();
            }
            assertThat(JSON.readTree(good.get(0).body()).path("incident").path("name").asText())
                    .isEqualTo("Checkout errors");
            assertThat(JSON.readTree(good.get(1).body()).path("component").path("status").asText())
                    .isEqualTo("major_outage");
            await().atMost(Duration.ofSeconds(30)).until(() -> gone.size() >= 1);
            // disabled by its 410: the next incident's messages reach only the other receiver
            open(gw, "Search slow");
            await().atMost(Duration.ofSeconds(30)).until(() -> good.size() >= 4);
            assertThat(JSON.readTree(good.get(2).body()).path("incident").path("name").asText())
                    .isEqualTo("Search slow");
            assertThat(gone).hasSize(1);
        } finally {
            ok.stop(0);
            goneServer.stop(0);
        }
    }
}
