package io.palisade.gateway;

import io.palisade.proxy.ProxyRuntime;
import io.palisade.time.Ticker;
import java.nio.file.Path;
import java.time.Clock;

/** The package-private seams of {@link Gateway}, for the test fixtures in other packages. */
public final class GatewayAccess {
    private GatewayAccess() {}

    /** A gateway whose tickers and clocks are {@code ticker} and {@code clock} (see {@link Gateway#start}). */
    public static Gateway start(Path configFile, Ticker ticker, Clock clock) throws InterruptedException {
        return Gateway.start(configFile, ticker, clock);
    }

    public static ProxyRuntime runtime(Gateway gateway) {
        return gateway.runtime();
    }

    /**
     * Releases the config file's current text as {@code config apply --force --direct} would: past pre-flight (a
     * test's deliberately dead endpoints fail it), validated and applied at once.
     */
    public static io.palisade.admin.ReloadResult forceRelease(Gateway gateway, Path configFile) {
        io.palisade.admin.AdminReply reply = gateway.releases().apply(new io.palisade.admin.ApplyRequest(
                        ConfigLoader.readText(configFile), "test", "test", true, true),
                new io.palisade.admin.Caller("127.0.0.1", true, false)).toCompletableFuture().join();
        return ReloadReplies.result(reply, gateway.config().version());
    }
}
