package io.palisade.status;

import java.util.function.Consumer;

/**
 * Where page alerts come from: the composition root adapts the alert engine to it, and {@link AutoIncidents}
 * subscribes. The feed calls its subscribers with every change of a page alert, in order, from one thread (the alert
 * engine's evaluation thread, never an event loop).
 */
@FunctionalInterface
public interface AlertFeed {
    void subscribe(Consumer<PageAlert> subscriber);
}
