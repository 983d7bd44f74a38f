package io.palisade.status;

import io.palisade.config.Address;
import io.palisade.config.AddressReader;
import io.palisade.config.ConfigNode;
import io.palisade.config.Syntax;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code status_page:} section: the public status page's own listener, its title, its components (each fed by
 * SLOs and/or routes), what page alerts do ({@code incidents}), how long an automatic incident waits in quiet before
 * it resolves, and where to export the page as static files.
 *
 * <pre>{@code
 * status_page:
 *   address: 0.0.0.0:8088
 *   title: Acme API
 *   components:
 *     - { id: orders, name: Orders API, slos: [orders-availability, orders-latency] }
 *     - { id: collect, name: Data collection, routes: [track] }
 *   incidents: publish           # publish | draft | off
 *   resolve_after: 10m
 *   export_dir: /var/www/status  # optional
 * }</pre>
 *
 * @param exportDir absolute and normalised (a relative path is taken from the working directory)
 */
public record StatusPageSettings(Address address, String title, List<ComponentSettings> components,
                                 IncidentMode incidents, Duration resolveAfter, Optional<Path> exportDir) {
    public static final Set<String> KEYS = Set.of("address", "title", "components", "incidents", "resolve_after",
            "export_dir");
    static final Set<String> COMPONENT_KEYS = Set.of("id", "name", "slos", "routes");
    static final String DEFAULT_TITLE = "Status";
    static final IncidentMode DEFAULT_INCIDENTS = IncidentMode.PUBLISH;
    static final Duration DEFAULT_RESOLVE_AFTER = Duration.ofMinutes(10);
    /** A shorter quiet would resolve an incident between two evaluations of a flapping alert. */
    static final Duration MIN_RESOLVE_AFTER = Duration.ofSeconds(1);
    static final int MAX_TITLE = 100;
    static final int MAX_COMPONENT_NAME = 100;
    static final int MAX_COMPONENTS = 100;

    /** What a page alert does to the page. */
    public enum IncidentMode {
        /** It opens an incident on the public page by itself. */
        PUBLISH,
        /** It opens a draft an operator publishes; nothing public until then. */
        DRAFT,
        /** It opens nothing; operators open incidents by hand. */
        OFF;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One component of the page.
     *
     * @param id     a name ({@link Syntax#NAME_RULE}), as Statuspage's {@code components[].id}
     * @param name   what a person reads
     * @param slos   SLO names whose page alerts affect it
     * @param routes route names whose page alerts affect it
     */
    public record ComponentSettings(String id, String name, List<String> slos, List<String> routes) {
        public ComponentSettings {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            slos = List.copyOf(slos);
            routes = List.copyOf(routes);
        }
    }

    public StatusPageSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(title, "title");
        components = List.copyOf(components);
        Objects.requireNonNull(incidents, "incidents");
        Objects.requireNonNull(resolveAfter, "resolveAfter");
        Objects.requireNonNull(exportDir, "exportDir");
    }

    public List<String> componentIds() {
        return components.stream().map(ComponentSettings::id).toList();
    }

    public Optional<ComponentSettings> component(String id) {
        return components.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /**
     * Reads {@code status_page:}; empty when the section is absent (no status page). Problems go to the node's error
     * list as {@code status_page.components[0].slos[1]: orders-avail (expected: one of the slos: ...)}.
     *
     * @param sloNames the names under {@code slos:}, which components may name
     * @param routeIds the routes' names ({@code routes[].name}), which components may name
     */
    public static Optional<StatusPageSettings> read(ConfigNode node, Set<String> sloNames, Set<String> routeIds) {
        if (!node.isPresent()) {
            return Optional.empty();
        }
        if (!node.isObject()) {
            node.invalid("a mapping with at least address and components");
            return Optional.empty();
        }
        node.rejectUnknown(KEYS);
        Optional<Address> address = AddressReader.required(node.get("address"), 0);
        ConfigNode titleNode = node.get("title");
        String title = titleNode.string(DEFAULT_TITLE);
        if (title.isBlank() || title.length() > MAX_TITLE) {
            titleNode.invalid("a title of 1 to " + MAX_TITLE + " characters");
            title = DEFAULT_TITLE;
        }
        List<ComponentSettings> components = components(node.get("components"), sloNames, routeIds);
        IncidentMode mode = IncidentMode.valueOf(node.get("incidents").oneOf(DEFAULT_INCIDENTS.wire(),
                List.of("publish", "draft", "off")).toUpperCase(Locale.ROOT));
        ConfigNode resolveNode = node.get("resolve_after");
        Duration resolveAfter = resolveNode.duration(DEFAULT_RESOLVE_AFTER, ConfigNode.MAX_DURATION);
        if (resolveAfter.compareTo(MIN_RESOLVE_AFTER) < 0) {
            resolveNode.invalid("at least " + ConfigNode.format(MIN_RESOLVE_AFTER));
            resolveAfter = DEFAULT_RESOLVE_AFTER;
        }
        ConfigNode exportNode = node.get("export_dir");
        Optional<Path> exportDir = exportNode.optString().flatMap(text -> {
            if (text.isBlank() || text.indexOf('\0') >= 0) {
                exportNode.invalid("a directory path");
                return Optional.empty();
            }
            return Optional.of(Path.of(text).toAbsolutePath().normalize());
        });
        if (address.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new StatusPageSettings(address.get(), title, components, mode, resolveAfter, exportDir));
    }

    private static List<ComponentSettings> components(ConfigNode node, Set<String> sloNames, Set<String> routeIds) {
        if (!node.isPresent()) {
            node.error("missing (expected: a list of components like"
                    + " { id: orders, name: Orders API, routes: [orders] })");
            return List.of();
        }
        List<ConfigNode> elements = node.elements();
        if (node.isArray() && elements.isEmpty()) {
            node.invalid("at least one component");
        }
        if (elements.size() > MAX_COMPONENTS) {
            node.error(elements.size() + " components (expected: at most " + MAX_COMPONENTS + ")");
        }
        List<ComponentSettings> out = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        for (ConfigNode c : elements) {
            if (!c.isObject()) {
                c.invalid("a mapping like { id: orders, name: Orders API, routes: [orders] }");
                continue;
            }
            c.rejectUnknown(COMPONENT_KEYS);
            ConfigNode idNode = c.get("id");
            String id = idNode.requiredString();
            if (idNode.isPresent() && !Syntax.isName(id)) {
                idNode.invalid(Syntax.NAME_RULE);
            } else if (idNode.isPresent() && !ids.add(id)) {
                idNode.invalid("an id no other component has");
            }
            ConfigNode nameNode = c.get("name");
            String name = nameNode.requiredString();
            if (nameNode.isPresent() && (name.isBlank() || name.length() > MAX_COMPONENT_NAME)) {
                nameNode.invalid("a name of 1 to " + MAX_COMPONENT_NAME + " characters");
            }
            List<String> slos = names(c.get("slos"), sloNames, "slos");
            List<String> routes = names(c.get("routes"), routeIds, "routes");
            out.add(new ComponentSettings(id, name, slos, routes));
        }
        return List.copyOf(out);
    }

    /** A list of names each of which must be in {@code known}; a single name is taken as a list of one. */
    private static List<String> names(ConfigNode node, Set<String> known, String section) {
        if (!node.isPresent()) {
            return List.of();
        }
        List<ConfigNode> elements = node.isTextual() ? List.of(node) : node.elements();
        Set<String> out = new LinkedHashSet<>();
        for (ConfigNode e : elements) {
            Optional<String> name = e.optString();
            if (name.isEmpty()) {
                continue;
            }
            if (!known.contains(name.get())) {
                e.invalid("one of the " + section + ": " + Syntax.list(known.stream().sorted().toList()));
                continue;
            }
            out.add(name.get());
        }
        return List.copyOf(out);
    }
}
