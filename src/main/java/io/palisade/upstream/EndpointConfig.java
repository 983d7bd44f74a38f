package io.palisade.upstream;

import io.palisade.config.Address;

/** One upstream endpoint and its weight (1 unless written). */
public record EndpointConfig(Address address, int weight) {}
