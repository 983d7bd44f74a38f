package io.palisade.proxy;

import io.palisade.error.ErrorKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where an ingest route's requests are kept: the proxy reads the whole body (up to the route's {@code max_record}),
 * hands it here, and answers 202 once the returned stage says the record is durable. The ingest capability implements
 * it; the composition root wires it into each snapshot. Both methods are called on the exchange's event loop and
 * must not block; the stage may complete on any thread (the exchange hops back to its loop).
 */
public interface IngestTarget {
    /**
     * What can be decided before the body is read: a route whose store is full or not open yet refuses at once,
     * rather than after the client sent a megabyte.
     *
     * @param declaredBytes the body's Content-Length, or 0 when it is chunked and not known yet
     */
    Optional<Refused> admit(String route, long declaredBytes);

    /** Keeps {@code submission}; the stage completes with its id once durable, or with why it was not kept. */
    CompletionStage<Result> accept(Submission submission);

    /**
     * One request to keep.
     *
     * @param headers        the route's {@code store_headers} the request has, each value in the order sent
     * @param idempotencyKey the client's {@code Idempotency-Key}, already checked to be well-formed
     */
    record Submission(String route, String method, String path, String query,
                      List<Map.Entry<String, String>> headers, Optional<String> consumer, byte[] body,
                      Optional<String> idempotencyKey) {
        public Submission {
            headers = List.copyOf(headers);
        }
    }

    /** What became of a submission. */
    sealed interface Result permits Accepted, Refused {}

    /** @param duplicate the key was seen before: {@code id} is the record it named, nothing new was stored */
    record Accepted(String id, boolean duplicate) implements Result {}

    /** @param retryAfterSeconds for a retryable kind, the Retry-After to send */
    record Refused(ErrorKind kind, int retryAfterSeconds) implements Result {}

    /** For a gateway without ingest routes: refuses everything as unavailable. */
    static IngestTarget unavailable() {
        Refused refused = new Refused(ErrorKind.INGEST_UNAVAILABLE, 1);
        return new IngestTarget() {
            @Override
            public Optional<Refused> admit(String route, long declaredBytes) {
                return Optional.of(refused);
            }

            @Override
            public CompletionStage<Result> accept(Submission submission) {
                return CompletableFuture.completedFuture(refused);
            }
        };
    }
}
