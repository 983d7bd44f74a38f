package io.palisade.config;

/** A data-side listener, e.g. {@code listeners.http}. */
public record ListenerConfig(String name, Address address) {}
