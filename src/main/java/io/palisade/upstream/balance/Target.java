package io.palisade.upstream.balance;

import io.palisade.config.Address;

/**
 * What a balancer needs to know of an endpoint. The balancers live below {@code upstream} and see endpoints only
 * through this, so the endpoint type (and its health and ejection state) stays in {@code upstream} without a package
 * cycle.
 */
public interface Target {
    /** Identifies the endpoint on a hash ring: the same address always lands on the same points. */
    Address address();

    /** Relative share of picks, at least 1. */
    int weight();

    /** Requests in flight to it now, for least-request picks. */
    int activeRequests();
}
