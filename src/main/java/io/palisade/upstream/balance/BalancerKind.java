package io.palisade.upstream.balance;

/** How a cluster spreads requests over its endpoints. */
public enum BalancerKind {
    ROUND_ROBIN, WEIGHTED, LEAST_REQUEST, CONSISTENT_HASH
}
