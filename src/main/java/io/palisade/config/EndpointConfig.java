package io.palisade.config;

/** One upstream endpoint and its weight (1 unless written). */
public record EndpointConfig(Address address, int weight) {}
