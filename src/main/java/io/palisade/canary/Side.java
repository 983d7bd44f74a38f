package io.palisade.canary;

/**
 * One version's figures over the current step's window.
 *
 * @param version   the config version
 * @param requests  requests counted: every one that ended except those the client abandoned
 * @param failures  of those, the ones that failed as the client sees it: a 5xx, or a response cut mid-way
 * @param errorRate {@code failures / requests}, 0 when there were none
 * @param p99Millis the 99th percentile of the requests' total time in milliseconds (within 1%), 0 when none
 */
public record Side(String version, long requests, long failures, double errorRate, double p99Millis) {}
