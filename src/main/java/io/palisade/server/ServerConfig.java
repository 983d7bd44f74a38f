package io.palisade.server;

import java.time.Duration;

/**
 * @param limits        protocol limits
 * @param workerThreads data-side event loops; 0 means one per core
 * @param drainTimeout  how long a graceful shutdown waits for in-flight requests
 */
public record ServerConfig(ServerLimits limits, int workerThreads, Duration drainTimeout) {}
