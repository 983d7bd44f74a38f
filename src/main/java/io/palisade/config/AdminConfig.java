package io.palisade.config;

/** The admin listener: its own port and event loop, so it answers while the data side is saturated (seed 002). */
public record AdminConfig(Address address) {}
