package io.palisade.cli;

import io.palisade.config.ConfigException;
import io.palisade.gateway.Gateway;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Serves a config until SIGTERM/SIGINT (graceful drain); SIGHUP reloads the file.
 *
 * <p>Exit codes: {@value #EXIT_DRAINED} after a graceful drain, {@value #EXIT_NOT_STARTED} when the gateway did not
 * start (config errors, an address in use), 2 for a usage error, {@value #EXIT_DRAIN_CUT} when
 * {@code server.drain_timeout} passed with requests still in flight and they were cut.
 */
@Command(name = "run", description = "Run the gateway with a config file.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM or SIGINT after every request in flight finished",
            "1:not started (config errors, an address in use)", "2:usage error",
            "3:stopped after server.drain_timeout with requests still in flight, which were cut"})
final class RunCommand implements Callable<Integer> {
    static final int EXIT_DRAINED = 0;
    static final int EXIT_NOT_STARTED = 1;
    static final int EXIT_DRAIN_CUT = 3;
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = {"-c", "--config"}, required = true, description = "The YAML config file.")
    Path config;

    @Option(names = "--state", defaultValue = "palisade-state", description = "Where config versions and the audit"
            + " are kept (SQLite, created if missing; default: ${DEFAULT-VALUE} in the working directory).")
    Path state;

    @Override
    public Integer call() throws InterruptedException {
        Gateway gateway;
        try {
            gateway = Gateway.start(config, state);
        } catch (ConfigException e) {
            for (String error : e.errors()) {
                System.err.println(error);
            }
            System.err.println(config + ": not started, " + e.errors().size() + " config error(s)");
            return EXIT_NOT_STARTED;
        } catch (UncheckedIOException e) {
            System.err.println(e.getMessage());
            System.err.println(config + ": not started");
            return EXIT_NOT_STARTED;
        }
        return serve(gateway);
    }

    /**
     * Installs the signal handlers and serves until SIGTERM or SIGINT, then drains and closes the gateway.
     *
     * @return {@link #EXIT_DRAINED}, or {@link #EXIT_DRAIN_CUT} when the drain timed out
     */
    static int serve(Gateway gateway) {
        CountDownLatch stop = new CountDownLatch(1);
        // SIGTERM and SIGINT end the run here rather than through the JVM's own handlers, which exit with 128 + the
        // signal (143 for SIGTERM) however the drain went: a supervisor reads that as a failure.
        installStop("TERM", stop::countDown);
        installStop("INT", stop::countDown);
        // Any other shutdown (a signal whose handler could not be installed, System.exit) still drains.
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "palisade-shutdown"));
        onSignal("HUP", () -> gateway.reload().whenComplete((r, e) -> {
            if (e != null) {
                log.warn("reload on SIGHUP failed", e);
            }
        }));
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("shutting down: draining in-flight requests");
        if (gateway.stop()) {
            return EXIT_DRAINED;
        }
        log.warn("exiting with {}: server.drain_timeout passed with requests in flight, and they were cut",
                EXIT_DRAIN_CUT);
        return EXIT_DRAIN_CUT;
    }

    /** A SIGINT a shell told this process to ignore (a background job) stays ignored, as a shell would have it. */
    private static void installStop(String name, Runnable action) {
        Object previous = install(name, action);
        if (previous != null && name.equals("INT") && isIgnore(previous)) {
            install(name, null);
        }
    }

    /**
     * Installs a handler through {@code sun.misc.Signal}, by reflection: it is the only way a JVM can receive SIGHUP,
     * and going through reflection keeps the build free of internal-API warnings.
     */
    static void onSignal(String name, Runnable action) {
        Object previous = install(name, action);
        if (previous != null && isIgnore(previous)) {
            // Inherited as ignored (e.g. started under nohup): the OS may never deliver it.
            log.warn("SIG{} is ignored in this process (started under nohup?); if it has no effect, use POST"
                    + " /config/reload on the admin port", name);
        }
    }

    /**
     * Handles signal {@code name} with {@code action}, or ignores it when {@code action} is null.
     *
     * @return the previous handler, or null when no handler could be installed (logged)
     */
    private static Object install(String name, Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            Object handler;
            if (action == null) {
                handler = handlerClass.getField("SIG_IGN").get(null);
            } else {
                InvocationHandler ih = (proxy, method, args) -> {
                    if ("handle".equals(method.getName())) {
                        action.run();
                    }
                    return null;
                };
                handler = Proxy.newProxyInstance(RunCommand.class.getClassLoader(), new Class<?>[] {handlerClass},
                        ih);
            }
            return signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn(name.equals("HUP") ? "cannot install a SIGHUP handler; use POST /config/reload on the admin port"
                    + " instead" : "cannot install a SIG{} handler; it stops the gateway through the JVM's shutdown"
                    + " (still draining), with exit code 128 + the signal", name);
            return null;
        }
    }

    private static boolean isIgnore(Object handler) {
        try {
            return handler == Class.forName("sun.misc.SignalHandler").getField("SIG_IGN").get(null);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
