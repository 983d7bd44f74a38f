package io.palisade.cli;

import io.palisade.config.ConfigException;
import io.palisade.gateway.ConfigLoader;
import io.palisade.gateway.GatewayConfig;
import io.palisade.route.RouteConfig;
import io.palisade.route.WeightedCluster;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Checks a config file the way a reload would; prints every error as {@code path: message}. A valid file's routes
 * with weighted clusters are listed with each cluster's share, so a diversion can be read back before the reload
 * that makes it live.
 */
@Command(name = "validate", description = "Validate a config file; exit 0 when it would be served.")
final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, description = "The YAML config file.")
    Path config;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            GatewayConfig cfg = ConfigLoader.load(config);
            out.println(config + ": valid (content " + cfg.version() + ", " + cfg.routes().size()
                    + " routes, " + cfg.clusters().size() + " clusters)");
            for (RouteConfig route : cfg.routes()) {
                if (route.clusters().size() > 1) {
                    out.println("  route " + route.id() + ": " + shares(route.clusters()));
                }
            }
            out.flush();
            return 0;
        } catch (ConfigException e) {
            for (String error : e.errors()) {
                err.println(error);
            }
            err.println(config + ": " + e.errors().size() + " error(s)");
            err.flush();
            return 1;
        }
    }

    /** {@code orders-eu 90%, orders-us 10%, orders-dr 0% (no traffic)}. */
    static String shares(List<WeightedCluster> clusters) {
        long total = clusters.stream().mapToLong(WeightedCluster::weight).sum();
        List<String> parts = new ArrayList<>(clusters.size());
        for (WeightedCluster c : clusters) {
            BigDecimal percent = BigDecimal.valueOf(c.weight() * 100L).divide(BigDecimal.valueOf(total), 1,
                    RoundingMode.HALF_EVEN).stripTrailingZeros();
            parts.add(c.name() + " " + percent.toPlainString() + "%" + (c.weight() == 0 ? " (no traffic)" : ""));
        }
        return String.join(", ", parts);
    }
}
