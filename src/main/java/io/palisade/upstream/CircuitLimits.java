package io.palisade.upstream;

/** Per-cluster caps; past them requests get 503 at once instead of queueing (circuit limits). */
public record CircuitLimits(int maxConnections, int maxPending, int maxRequests) {}
