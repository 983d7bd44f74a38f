package io.palisade.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test of the whole gateway in this JVM, run once per entry of {@link #loops()}. Each run gets a fresh
 * {@link Gateways} parameter whose {@link Gateways#start} starts gateways with that many event loops
 * ({@code server.worker_threads}, unless the config sets its own) and closes them after the run; with
 * {@link #fakeTime()} those gateways decide by a {@link FakeTicker}, which the test can also take as a parameter.
 *
 * <pre>{@code
 * @GatewayTest(loops = {1, 2}, fakeTime = true)
 * void burstRefills_atTheRatesInterval(Gateways gateways, FakeTicker ticker) {
 *     GatewayFixture gw = gateways.start(yaml);
 *     ...
 *     ticker.advance(Duration.ofMillis(500));
 * }
 * }</pre>
 *
 * A class whose tests share one gateway registers {@link Gateways} as an extension instead.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(GatewayExtension.class)
public @interface GatewayTest {
    /**
     * Event-loop counts, one run each. One loop serves every connection on one thread and one upstream pool; several
     * loops put connections on different threads with a pool each, sharing limits and clusters: tests of routing,
     * pooling, limits or connection handling run with both.
     */
    int[] loops() default {Gateways.SEVERAL};

    /**
     * Whether the gateways' tickers and clocks are a {@link FakeTicker} (and a clock that moves with it) instead of the
     * system's. Deadlines and health-check intervals are event-loop timers and run on real time either way.
     */
    boolean fakeTime() default false;
}
