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

/** Serves a config until SIGTERM/SIGINT (graceful drain); SIGHUP reloads the file. */
@Command(name = "run", description = "Run the gateway with a config file.")
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);
    private static volatile boolean running;

    @Option(names = {"-c", "--config"}, required = true, description = "The YAML config file.")
    Path config;

    static boolean keepsRunning() {
        return running;
    }

    @Override
    public Integer call() throws InterruptedException {
        Gateway gateway;
        try {
            gateway = Gateway.start(config);
        } catch (ConfigException e) {
            for (String error : e.errors()) {
                System.err.println(error);
            }
            System.err.println(config + ": not started, " + e.errors().size() + " config error(s)");
            return 1;
        } catch (UncheckedIOException e) {
            System.err.println(e.getMessage());
            System.err.println(config + ": not started");
            return 1;
        }
        serve(gateway);
        return 0;
    }

    /** Installs the signal handlers and keeps the JVM up until shutdown. */
    static void serve(Gateway gateway) {
        running = true;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down: draining in-flight requests");
            gateway.close();
            stopped.countDown();
        }, "palisade-shutdown"));
        onSignal("HUP", () -> gateway.reload().whenComplete((r, e) -> {
            if (e != null) {
                log.warn("reload on SIGHUP failed", e);
            }
        }));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Installs a handler through {@code sun.misc.Signal}, by reflection: it is the only way a JVM can receive SIGHUP,
     * and going through reflection keeps the build free of internal-API warnings.
     */
    static void onSignal(String name, Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            InvocationHandler ih = (proxy, method, args) -> {
                if ("handle".equals(method.getName())) {
                    action.run();
                }
                return null;
            };
            Object handler = Proxy.newProxyInstance(RunCommand.class.getClassLoader(), new Class<?>[] {handlerClass},
                    ih);
            Object previous = signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            if (previous == handlerClass.getField("SIG_IGN").get(null)) {
                // Inherited as ignored (e.g. started under nohup): the OS may never deliver it.
                log.warn("SIG{} is ignored in this process (started under nohup?); if it has no effect, use POST"
                        + " /config/reload on the admin port", name);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("cannot install a SIG{} handler; use POST /config/reload on the admin port instead", name);
        }
    }
}
