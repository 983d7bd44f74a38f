package io.palisade.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Collects every problem in a config file as {@code path: message}, so {@code palisade validate} reports them all in one
 * pass instead of one per run.
 */
public final class ConfigErrors {
    private final List<String> errors = new ArrayList<>();

    public void add(String path, String message) {
        errors.add((path.isEmpty() ? "<root>" : path) + ": " + message);
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    public List<String> list() {
        return Collections.unmodifiableList(errors);
    }

    /** Throws {@link ConfigException} with every collected error, if there is any. */
    public void throwIfAny() {
        if (!errors.isEmpty()) {
            throw new ConfigException(List.copyOf(errors));
        }
    }
}
