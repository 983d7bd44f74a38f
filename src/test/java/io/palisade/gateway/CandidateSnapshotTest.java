package io.palisade.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.auth.ApiKeys;
import io.palisade.testing.GatewayFixture;
import io.palisade.testing.Gateways;
import io.palisade.testing.TestUpstream;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A config version is built as a candidate with no effect on what serves, and two versions can serve at once, each
 * request bound to one of them: what staged releases stand on.
 */
class CandidateSnapshotTest {
    @RegisterExtension
    static final Gateways gateways = Gateways.onSystemTime(Gateways.SEVERAL);
    private final ApiKeys.GeneratedKey oldKey = ApiKeys.generate();
    private final ApiKeys.GeneratedKey newKey = ApiKeys.generate();
    private TestUpstream blue;
    private TestUpstream green;
    private GatewayFixture gw;

    @BeforeEach
    void start() {
        blue = TestUpstream.start("blue");
        green = TestUpstream.start("green");
        gw = gateways.start(config(blue, oldKey));
    }

    @AfterEach
    void stop() {
        blue.close();
        green.close();
    }

    private static String config(TestUpstream upstream, ApiKeys.GeneratedKey key) {
        return """
                consumers:
                  acme: { api_keys: [ { sha256: "%s" } ] }
                auth:
                  api_key: { header: X-Api-Key }
                clusters:
                  app: { endpoints: [ "%s" ] }
                routes:
                  - match: { path_prefix: /api }
                    cluster: app
                    auth: { any_of: [api_key] }
                """.formatted(key.sha256Hex(), upstream.address());
    }

    private HttpResponse<String> call(ApiKeys.GeneratedKey key, String... more) {
        String[] headers = new String[2 + more.length];
        headers[0] = "X-Api-Key";
        headers[1] = key.key();
        System.arraycopy(more, 0, headers, 2, more.length);
        return gw.get("/api/x", headers);
    }

    @Test
    void candidateBuiltAndDropped_changesNothingThatServes() {
        Gateway gateway = gw.gateway();
        String version = gateway.config().version();
        Gateway.Candidate candidate = gateway.prepare(ConfigLoader.parseWithSource(
                "listeners:\n  http: { address: 127.0.0.1:0 }\nadmin:\n  address: 127.0.0.1:0\n"
                        + config(green, newKey), "candidate"));

        assertThat(candidate.snapshot().version()).isNotEqualTo(version);
        HttpResponse<String> r = call(oldKey);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"upstream\":\"blue\"");
        assertThat(call(newKey).statusCode()).as("the candidate's keys are not live").isEqualTo(401);
        assertThat(gateway.config().version()).isEqualTo(version);
        assertThat(green.requestCount()).isZero();
    }

    @Test
    void canaryServesBesideThePrimary_eachRequestBoundToOne_thenPromoted() {
        Gateway gateway = gw.gateway();
        Gateway.Candidate primary = gateway.prepare(ConfigLoader.parseWithSource(
                "listeners:\n  http: { address: 127.0.0.1:0 }\nadmin:\n  address: 127.0.0.1:0\n"
                        + config(blue, oldKey), "primary"));
        gateway.activate(primary);
        Gateway.Candidate canary = gateway.prepare(ConfigLoader.parseWithSource(
                "listeners:\n  http: { address: 127.0.0.1:0 }\nadmin:\n  address: 127.0.0.1:0\n"
                        + config(green, newKey), "canary"));
        gateway.activate(primary, canary, (ip, request) -> request.headers().contains("X-Canary"));

        for (int i = 0; i < 5; i++) {
            assertThat(call(oldKey).body()).contains("\"upstream\":\"blue\"");
            HttpResponse<String> c = call(newKey, "X-Canary", "1");
            assertThat(c.statusCode()).isEqualTo(200);
            assertThat(c.body()).contains("\"upstream\":\"green\"");
        }
        // Each version answers with its own credentials only: a request is bound to one version from start to end.
        assertThat(call(newKey).statusCode()).isEqualTo(401);
        assertThat(call(oldKey, "X-Canary", "1").statusCode()).isEqualTo(401);

        gateway.activate(canary);
        assertThat(call(newKey).body()).contains("\"upstream\":\"green\"");
        assertThat(call(oldKey).statusCode()).isEqualTo(401);
    }
}
