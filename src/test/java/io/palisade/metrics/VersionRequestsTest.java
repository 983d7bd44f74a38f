package io.palisade.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-version request counter: what a canary and its baseline are compared by on a dashboard. */
class VersionRequestsTest {
    @Test
    void countsByVersionAndResult_andDropsVersionsThatServeNoMore_evenForRequestsStillInFlight() {
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.retainVersions(Set.of("7", "8"));
        metrics.versionRequest("7", false);
        metrics.versionRequest("7", false);
        metrics.versionRequest("8", true);
        String scrape = metrics.scrape();
        assertThat(scrape).contains("palisade_config_version_requests_total{config_version=\"7\",result=\"ok\"} 2.0");
        assertThat(scrape).contains("palisade_config_version_requests_total{config_version=\"8\",result=\"failed\"} 1.0");

        metrics.retainVersions(Set.of("7"));
        metrics.versionRequest("8", false); // a request of the rolled-back canary, finishing after the rollback
        assertThat(metrics.scrape()).doesNotContain("config_version=\"8\"")
                .contains("config_version=\"7\",result=\"ok\"} 2.0");
    }
}
