package io.palisade.cli;

import io.palisade.upstream.ClusterConfig;
import io.palisade.config.ConfigException;
import io.palisade.gateway.ConfigLoader;
import io.palisade.upstream.EndpointConfig;
import io.palisade.gateway.GatewayConfig;
import io.palisade.gateway.Gateway;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the gateway with a config (by default {@code examples/palisade.yaml}) and starts the demo upstream on every
 * loopback endpoint the config's clusters name, so the example answers without anything else running.
 */
@Command(name = "demo", description = "Run the gateway with the example config and demo upstreams behind it.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, description = "The YAML config file (default: ${DEFAULT-VALUE}).",
            defaultValue = "examples/palisade.yaml")
    Path config;

    @Option(names = "--state", defaultValue = "palisade-state", description = "Where the demo keeps its config"
            + " versions and audit (default: ${DEFAULT-VALUE} in the working directory).")
    Path state;

    @Override
    public Integer call() throws InterruptedException {
        Path file = config.isAbsolute() ? config
                : Path.of(System.getProperty("palisade.home", ".")).resolve(config);
        GatewayConfig cfg;
        try {
            cfg = ConfigLoader.load(file);
        } catch (ConfigException e) {
            e.errors().forEach(System.err::println);
            return 1;
        }
        List<InetSocketAddress> endpoints = new ArrayList<>();
        for (ClusterConfig c : cfg.clusters().values()) {
            for (EndpointConfig e : c.endpoints()) {
                String host = e.address().host();
                if (host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1")) {
                    endpoints.add(new InetSocketAddress(host, e.address().port()));
                }
            }
        }
        DemoUpstream demo = new DemoUpstream(endpoints);
        Runtime.getRuntime().addShutdownHook(new Thread(demo::close));
        System.out.println("demo upstreams listening on " + endpoints);
        System.out.println("state (versions, audit, ingest records) in " + state.toAbsolutePath().normalize());
        return RunCommand.serve(Gateway.start(file, state));
    }
}
