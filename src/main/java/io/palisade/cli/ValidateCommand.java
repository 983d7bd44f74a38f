package io.palisade.cli;

import io.palisade.config.ConfigException;
import io.palisade.gateway.ConfigLoader;
import io.palisade.gateway.GatewayConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Checks a config file the way a reload would; prints every error as {@code path: message}. */
@Command(name = "validate", description = "Validate a config file; exit 0 when it would be served.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "The YAML config file.")
    Path config;

    @Override
    public Integer call() {
        try {
            GatewayConfig cfg = ConfigLoader.load(config);
            System.out.println(config + ": valid (version " + cfg.version() + ", " + cfg.routes().size()
                    + " routes, " + cfg.clusters().size() + " clusters)");
            return 0;
        } catch (ConfigException e) {
            for (String error : e.errors()) {
                System.err.println(error);
            }
            System.err.println(config + ": " + e.errors().size() + " error(s)");
            return 1;
        }
    }
}
