package io.palisade.testing;

import io.palisade.time.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts in-process gateways with one event-loop count and one time source, and closes them: those started during a
 * test after that test, those started before the tests (in {@code @BeforeAll}) after the class. A
 * {@link GatewayTest} method gets one per run as a parameter; a class whose tests share a gateway registers one:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final Gateways gateways = Gateways.onSystemTime(2);
 * private static GatewayFixture gateway;
 *
 * @BeforeAll
 * static void start() {
 *     gateway = gateways.start(yaml);
 * }
 * }</pre>
 */
public final class Gateways implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    /** The "several" event-loop count: enough for connections to land on different loops, within 2 cores. */
    public static final int SEVERAL = 2;

    private final int loops;
    private final Optional<FakeTicker> fakeTicker;
    private final Ticker ticker;
    private final Clock clock;
    // Touched by the test thread only (JUnit runs a class's callbacks and tests on one thread).
    private final List<GatewayFixture> forClass = new ArrayList<>();
    private final List<GatewayFixture> forTest = new ArrayList<>();
    private boolean inTest;

    private Gateways(int loops, Optional<FakeTicker> fakeTicker, Ticker ticker, Clock clock) {
        if (loops < 1) {
            throw new IllegalArgumentException("loops: " + loops + " (expected: >= 1)");
        }
        this.loops = loops;
        this.fakeTicker = fakeTicker;
        this.ticker = ticker;
        this.clock = clock;
    }

    /** Gateways with {@code loops} event loops on the system ticker and clock, as in production. */
    public static Gateways onSystemTime(int loops) {
        return new Gateways(loops, Optional.empty(), Ticker.system(), Clock.systemUTC());
    }

    /**
     * Gateways with {@code loops} event loops whose ticker is a {@link FakeTicker} starting at 0 and whose clock reads
     * now (when this is called) plus however far that ticker has been advanced.
     */
    public static Gateways onFakeTime(int loops) {
        FakeTicker ticker = new FakeTicker();
        return new Gateways(loops, Optional.of(ticker), ticker, ticker.clock(Instant.now()));
    }

    public int loops() {
        return loops;
    }

    /** The ticker every gateway started here decides by, when it is a fake one. */
    public Optional<FakeTicker> fakeTicker() {
        return fakeTicker;
    }

    /** The fake ticker; fails the test when these gateways run on system time. */
    public FakeTicker ticker() {
        return fakeTicker.orElseThrow(() -> new IllegalStateException("these gateways run on system time"));
    }

    public Clock clock() {
        return clock;
    }

    /** Starts a gateway serving {@code yaml} (which needs no listeners or admin section); closed for the caller. */
    public GatewayFixture start(String yaml) {
        GatewayFixture fixture = GatewayFixture.start(yaml, loops, ticker, clock);
        (inTest ? forTest : forClass).add(fixture);
        return fixture;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        inTest = true;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        inTest = false;
        closeAll(forTest);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        closeAll(forClass);
    }

    private static void closeAll(List<GatewayFixture> fixtures) {
        for (int i = fixtures.size() - 1; i >= 0; i--) {
            fixtures.get(i).close();
        }
        fixtures.clear();
    }
}
