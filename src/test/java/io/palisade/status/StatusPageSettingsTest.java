package io.palisade.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.palisade.config.Address;
import io.palisade.config.ConfigErrors;
import io.palisade.config.ConfigNode;
import io.palisade.config.YamlReader;
import io.palisade.status.StatusPageSettings.ComponentSettings;
import io.palisade.status.StatusPageSettings.IncidentMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code status_page:} section: every key, the defaults, and each mistake refused with its path. */
class StatusPageSettingsTest {
    private static final Set<String> SLOS = Set.of("orders-availability", "orders-latency");
    private static final Set<String> ROUTES = Set.of("orders", "track");

    private record Read(Optional<StatusPageSettings> settings, List<String> errors) {}

    private static Read read(String yaml) {
        ConfigErrors errors = new ConfigErrors();
        ConfigNode root = new ConfigNode(YamlReader.read(yaml.getBytes(StandardCharsets.UTF_8), "t.yaml", errors), "",
                errors);
        Optional<StatusPageSettings> s = StatusPageSettings.read(root.get("status_page"), SLOS, ROUTES);
        return new Read(s, errors.list());
    }

    private static List<String> errors(String section) {
        Read r = read("status_page:\n" + section);
        assertThat(r.errors()).as("errors of:\n%s", section).isNotEmpty();
        return r.errors();
    }

    @Test
    void everyKey_isRead() {
        Read r = read("""
                status_page:
                  address: 0.0.0.0:8088
                  title: Acme API
                  components:
                    - { id: orders, name: Orders API, slos: [orders-availability, orders-latency] }
                    - { id: collect, name: Data collection, routes: [track] }
                  incidents: draft
                  resolve_after: 15m
                  export_dir: /var/www/status
                """);

        assertThat(r.errors()).isEmpty();
        StatusPageSettings s = r.settings().orElseThrow();
        assertThat(s.address()).isEqualTo(new Address("0.0.0.0", 8088));
        assertThat(s.title()).isEqualTo("Acme API");
        assertThat(s.components()).containsExactly(
                new ComponentSettings("orders", "Orders API", List.of("orders-availability", "orders-latency"),
                        List.of()),
                new ComponentSettings("collect", "Data collection", List.of(), List.of("track")));
        assertThat(s.incidents()).isEqualTo(IncidentMode.DRAFT);
        assertThat(s.resolveAfter()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.exportDir()).contains(Path.of("/var/www/status"));
        assertThat(s.componentIds()).containsExactly("orders", "collect");
    }

    @Test
    void leftOut_takeTheDefaults() {
        Read r = read("""
                status_page:
                  address: 127.0.0.1:8088
                  components: [ { id: orders, name: Orders, routes: orders } ]
                """);

        assertThat(r.errors()).isEmpty();
        StatusPageSettings s = r.settings().orElseThrow();
        assertThat(s.title()).isEqualTo("Status");
        assertThat(s.incidents()).isEqualTo(IncidentMode.PUBLISH);
        assertThat(s.resolveAfter()).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.exportDir()).isEmpty();
        assertThat(s.components().getFirst().routes()).containsExactly("orders");
    }

    @Test
    void noSection_noStatusPage() {
        Read r = read("clusters: {}\n");

        assertThat(r.errors()).isEmpty();
        assertThat(r.settings()).isEmpty();
    }

    @Test
    void aRelativeExportDir_isTakenFromTheWorkingDirectory() {
        Read r = read("""
                status_page:
                  address: 127.0.0.1:8088
                  components: [ { id: orders, name: Orders } ]
                  export_dir: out/status
                """);

        assertThat(r.settings().orElseThrow().exportDir())
                .contains(Path.of("out/status").toAbsolutePath().normalize());
    }

    /** A section (lines joined by {@code ;}) and one error it must produce. */
    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("components: [ { id: orders, name: Orders } ]",
                        "status_page.address: missing (expected: host:port or [v6]:port)"),
                Arguments.of("address: nowhere;components: [ { id: orders, name: Orders } ]",
                        "status_page.address: nowhere (expected: host:port or [v6]:port)"),
                Arguments.of("address: 127.0.0.1:8088",
                        "status_page.components: missing (expected: a list of components like { id: orders, name: Orders API, routes: [orders] })"),
                Arguments.of("address: 127.0.0.1:8088;components: []",
                        "status_page.components: [] (expected: at least one component)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { name: Orders } ]",
                        "status_page.components[0].id: missing (expected: a value)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: \"or ders\", name: Orders } ]",
                        "status_page.components[0].id: or ders (expected: a name of letters, digits, '_' and '-', starting with a letter or digit, at most 64 characters)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A }, { id: a, name: B } ]",
                        "status_page.components[1].id: a (expected: an id no other component has)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a } ]",
                        "status_page.components[0].name: missing (expected: a value)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A, slos: [orders-availability, nope] } ]",
                        "status_page.components[0].slos[1]: nope (expected: one of the slos: orders-availability, orders-latency)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A, routes: [nope] } ]",
                        "status_page.components[0].routes[0]: nope (expected: one of the routes: orders, track)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A, route: [orders] } ]",
                        "status_page.components[0].route: unknown key (expected one of: id, name, routes, slos)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ orders ]",
                        "status_page.components[0]: orders (expected: a mapping like { id: orders, name: Orders API, routes: [orders] })"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A } ];incidents: always",
                        "status_page.incidents: always (expected: one of publish, draft, off)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A } ];resolve_after: 0s",
                        "status_page.resolve_after: 0s (expected: > 0)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A } ];resolve_after: 500ms",
                        "status_page.resolve_after: 500ms (expected: at least 1s)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A } ];resolve_after: 2d",
                        "status_page.resolve_after: 2d (expected: <= 1d)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A } ];title: \"\"",
                        "status_page.title: \"\" (expected: a title of 1 to 100 characters)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A } ];export_dir: \"\"",
                        "status_page.export_dir: \"\" (expected: a directory path)"),
                Arguments.of("address: 127.0.0.1:8088;components: [ { id: a, name: A } ];colour: blue",
                        "status_page.colour: unknown key (expected one of: address, components, export_dir, incidents, resolve_after, title)"));
    }

    @ParameterizedTest
    @MethodSource("mistakes")
    void mistakes_areReportedWithTheirPath(String section, String expected) {
        assertThat(errors("  " + section.replace(";", "\n  ") + "\n")).contains(expected);
    }

    @Test
    void notAMapping_isRefused() {
        Read r = read("status_page: yes\n");

        assertThat(r.settings()).isEmpty();
        assertThat(r.errors()).containsExactly("status_page: yes (expected: a mapping with at least address and"
                + " components)");
    }
}
