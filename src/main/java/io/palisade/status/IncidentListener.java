package io.palisade.status;

/**
 * Told of every change in an {@link IncidentBook}, in order, on the thread that made it, while the book holds its
 * lock: it must be quick and must not call back into the book (hand anything slow, such as a webhook delivery, to a
 * queue of its own). One that throws is logged and the change stands.
 */
@FunctionalInterface
public interface IncidentListener {
    void onChange(BookEvent event);
}
