package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.Address;
import io.palisade.config.ConfigException;
import io.palisade.status.StatusPageSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code status_page:} in a whole config: read into the snapshot, checked against the routes and the other ports. */
class StatusPageConfigTest {
    private static final String BASE = """
            listeners:
              http: { address: 127.0.0.1:8080 }
            clusters:
              orders: { endpoints: [ "127.0.0.1:9001" ] }
            routes:
              - name: orders
                match: { path_prefix: /orders }
                cluster: orders
            """;

    private static List<String> errors(String yaml) {
        try {
            ConfigLoader.parse(yaml, "t.yaml");
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("accepted: " + yaml);
    }

    @Test
    void aStatusPage_isPartOfTheConfig() {
        GatewayConfig c = ConfigLoader.parse(BASE + """
                status_page:
                  address: 127.0.0.1:8088
                  title: Acme API
                  components: [ { id: orders, name: Orders API, routes: [orders] } ]
                """, "t.yaml");

        StatusPageSettings page = c.statusPage().orElseThrow();
        assertThat(page.address()).isEqualTo(new Address("127.0.0.1", 8088));
        assertThat(page.components().getFirst().routes()).containsExactly("orders");
        assertThat(c.withVersion("7").statusPage()).contains(page);
    }

    @Test
    void withoutTheSection_thereIsNone() {
        assertThat(ConfigLoader.parse(BASE, "t.yaml").statusPage()).isEmpty();
    }

    @Test
    void aComponent_namesOnlyRoutesThatExist() {
        assertThat(errors(BASE + """
                status_page:
                  address: 127.0.0.1:8088
                  components: [ { id: orders, name: Orders API, routes: [order] } ]
                """)).containsExactly("status_page.components[0].routes[0]: order (expected: one of the routes:"
                + " orders)");
    }

    @Test
    void theAddress_mayNotBeAListenersNorTheAdminPorts() {
        assertThat(errors(BASE + """
                status_page:
                  address: 0.0.0.0:8080
                  components: [ { id: orders, name: Orders API } ]
                """)).containsExactly("status_page.address: 0.0.0.0:8080 (expected: an address no listener binds;"
                + " listeners.http binds 127.0.0.1:8080)");
        assertThat(errors(BASE + """
                status_page:
                  address: 127.0.0.1:9901
                  components: [ { id: orders, name: Orders API } ]
                """)).containsExactly("status_page.address: 127.0.0.1:9901 (expected: an address the admin port does"
                + " not bind; admin binds 127.0.0.1:9901)");
    }
}
