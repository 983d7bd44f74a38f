/**
 * Durable ingest routes (issue 11): a request on an ingest route is kept on disk before it is answered 202, and
 * delivered to the route's cluster later, as often as it takes.
 *
 * <ul>
 *   <li><b>Durable accept</b>: {@code Journal}, the one writer thread in front of {@link io.palisade.store.IngestLog},
 *       group-commits whatever is queued in one transaction, so concurrent requests share one fsync; a request's
 *       future completes once its record is durable (or the write failed: disk full, store broken).</li>
 *   <li><b>Forwarder</b>: one per ingest route; delivers due records to the route's cluster with
 *       {@code Idempotency-Key} set to the record id, at most the route's {@code concurrency} at once, so one sick
 *       cluster never slows another route.</li>
 *   <li><b>Retry schedule</b>: exponential backoff with full jitter, honouring {@code Retry-After}; a record is given
 *       up on only when both its attempts and its age are spent.</li>
 *   <li><b>Quarantine</b>: what was given up on (or refused with a non-retryable status) stays in the log with every
 *       attempt, for an operator to read.</li>
 *   <li><b>Replay</b>: an operator moves quarantined records back to pending (after fixing the upstream), or purges
 *       them.</li>
 * </ul>
 *
 * <p>Nothing here blocks a Netty event loop: the log is called on the journal's thread and the forwarders' own
 * threads, and futures complete there (callers hop back to their loop).
 */
package io.palisade.ingest;
