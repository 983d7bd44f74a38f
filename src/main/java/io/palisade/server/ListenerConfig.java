package io.palisade.server;

import io.palisade.config.Address;

/** A data-side listener, e.g. {@code listeners.http}. */
public record ListenerConfig(String name, Address address) {}
