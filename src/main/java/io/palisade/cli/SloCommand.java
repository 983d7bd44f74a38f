package io.palisade.cli;

import io.palisade.config.ConfigException;
import io.palisade.gateway.ConfigLoader;
import io.palisade.gateway.GatewayConfig;
import io.palisade.slo.PrometheusRules;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade slo rules --config FILE}: the config's SLOs as Prometheus recording and multi-window alerting rules,
 * for teams that run their own Prometheus ({@link PrometheusRules}); reads the file only, like {@code validate}.
 */
@Command(name = "slo", description = "Service-level objectives.", subcommands = {SloCommand.Rules.class})
final class SloCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    @Command(name = "rules", description = "Print the config's SLOs as a Prometheus rule file (recording rules of"
            + " the burn-rate windows and page/ticket alerts); exit 1 when the config is invalid.")
    static final class Rules implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-c", "--config"}, required = true, description = "The YAML config file.")
        Path config;

        @Option(names = "--exact", description = "Build on palisade_slo_requests_total (the gateway's own verdict"
                + " per request) instead of palisade_requests_total and the latency histogram.")
        boolean exact;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                GatewayConfig cfg = ConfigLoader.load(config);
                out.print(PrometheusRules.render(cfg.slos(), config.getFileName().toString(), exact));
                out.flush();
                return 0;
            } catch (ConfigException e) {
                e.errors().forEach(err::println);
                err.println(config + ": " + e.errors().size() + " error(s)");
                err.flush();
                return 1;
            }
        }
    }
}
