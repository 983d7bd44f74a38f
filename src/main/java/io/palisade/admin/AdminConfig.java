package io.palisade.admin;

import io.palisade.config.Address;

/** The admin listener: its own port and event loop, so it answers while the data side is saturated (seed 002). */
public record AdminConfig(Address address) {}
