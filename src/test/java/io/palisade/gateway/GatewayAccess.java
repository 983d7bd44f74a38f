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
}
