/**
 * One immutable {@link io.palisade.outcome.Outcome} per request, published when the gateway is done with the request,
 * however it ended: proxied, answered by the gateway with an error (by the proxy, or by the protocol handlers before
 * the proxy saw it), cut mid-response, or abandoned by the client. Metrics and the access log subscribe to it; so can
 * anything else that judges traffic (SLO windows, a canary judge, a status page) without the request path knowing.
 *
 * <pre>{@code
 * OutcomePublisher outcomes = OutcomePublisher.create();
 * outcomes.subscribe(o -> errors.record(o.route(), o.error()));   // on the event loop: cheap, or hand off
 * ...
 * outcomes.publish(outcome);                                      // the request path, once per request
 * }</pre>
 *
 * <p>A leaf: it imports only the error taxonomy, so every capability may publish or subscribe.
 */
package io.palisade.outcome;
