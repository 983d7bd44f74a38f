package io.palisade.alert;

import io.palisade.slo.SloEngine;
import io.palisade.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Runs an alert engine (and an SLO engine) on a fake ticker, step by step, recording every change. */
final class Drive {
    final FakeTicker ticker;
    final AlertEngine alerts;
    final SloEngine slos;
    final List<Alert[]> changes = new ArrayList<>();

    Drive(FakeTicker ticker, AlertEngine alerts, SloEngine slos) {
        this.ticker = ticker;
        this.alerts = alerts;
        this.slos = slos;
        alerts.addListener((before, after) -> changes.add(new Alert[] {before, after}));
    }

    /** {@code steps} steps of {@code step}: traffic for each, then a tick of the SLO engine and an evaluation. */
    void run(int steps, Duration step, Consumer<Integer> traffic) {
        for (int i = 0; i < steps; i++) {
            ticker.advance(step);
            traffic.accept(i);
            if (slos != null) {
                slos.tick();
            }
            alerts.evaluate();
        }
    }

    List<Alert> raised(String name) {
        return changes.stream().filter(c -> c[0] == null && c[1].name().equals(name)).map(c -> c[1]).toList();
    }

    List<Alert> resolved(String name) {
        return changes.stream().filter(c -> !c[1].firing() && c[1].name().equals(name)).map(c -> c[1]).toList();
    }
}
