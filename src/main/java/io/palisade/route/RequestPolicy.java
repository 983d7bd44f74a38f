package io.palisade.route;

import java.util.Optional;

/**
 * @param maxBody     this route's body limit (413 past it); the server limit otherwise
 * @param requireBody an empty body gets 400 (seed 003: zero-sized requests are refused at the edge)
 */
public record RequestPolicy(Optional<Long> maxBody, boolean requireBody) {}
