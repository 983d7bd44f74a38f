package io.palisade.cli;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Runs the demo upstream on the given addresses until stopped. */
@Command(name = "demo-upstream", description = "Run a small demo HTTP service (JSON echo, /healthz) on HOST:PORT...")
final class DemoUpstreamCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "HOST:PORT", description = "Addresses to listen on.")
    List<String> addresses;

    @Override
    public Integer call() throws InterruptedException {
        List<InetSocketAddress> list = new ArrayList<>();
        for (String a : addresses) {
            int colon = a.lastIndexOf(':');
            list.add(new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
        }
        DemoUpstream demo = new DemoUpstream(list);
        System.out.println("demo upstream listening on " + addresses);
        Runtime.getRuntime().addShutdownHook(new Thread(demo::close));
        Thread.currentThread().join();
        return 0;
    }
}
