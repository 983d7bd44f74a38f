package io.palisade.release;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntPredicate;

/**
 * One thing to probe before traffic reaches a config version; {@code subject} is the config path that names it, for
 * messages (e.g. {@code clusters.orders.endpoints[0]}). Each probe is bounded by its {@code timeout}, DNS, connect
 * and answer together.
 *
 * <pre>{@code
 * List<ProbeFailure> failures = Preflight.run(List.of(
 *         new Probe.Endpoint("clusters.orders.endpoints[0]", "10.0.0.9", 8080, Duration.ofSeconds(1),
 *                 Optional.of("/healthz"), status -> status >= 200 && status < 400),
 *         new Probe.Http("auth.external.policy.url", URI.create("https://authz.internal/check"), Duration.ofSeconds(1)),
 *         new Probe.Jwks("auth.jwt.idp.jwks_url", URI.create("https://idp/.well-known/jwks.json"), Duration.ofSeconds(2)),
 *         new Probe.Redis("rate_limiting.redis.address", "10.0.0.5", 6379, Duration.ofMillis(500))));
 * }</pre>
 *
 * <p>The constructors refuse what no config that passed validation holds (a timeout that is not in (0, 1d], a port
 * outside 1..65535, a URL that is not absolute http or https, a health path that is not a request target) with
 * {@link IllegalArgumentException}: those are the caller's mistakes, not a dependency's failures.
 */
public sealed interface Probe {
    String subject();

    /**
     * DNS resolves, TCP connects within timeout; when healthPath is present, an HTTP/1.1 GET of it answers with a
     * status the predicate accepts, within timeout.
     */
    record Endpoint(String subject, String host, int port, Duration timeout, Optional<String> healthPath,
                    IntPredicate healthyStatus) implements Probe {
        public Endpoint {
            ProbeArguments.subject(subject);
            ProbeArguments.host(host);
            ProbeArguments.port(port);
            ProbeArguments.timeout(timeout);
            Objects.requireNonNull(healthPath, "healthPath");
            Objects.requireNonNull(healthyStatus, "healthyStatus");
            healthPath.ifPresent(ProbeArguments::requestTarget);
        }
    }

    /**
     * An HTTP request answered within its timeout, with any status: the external auth URL, where a 401 or 405 to a
     * bare GET still shows that the service is there and answers.
     */
    record Http(String subject, URI url, Duration timeout) implements Probe {
        public Http {
            ProbeArguments.subject(subject);
            ProbeArguments.url(url);
            ProbeArguments.timeout(timeout);
        }
    }

    /** Fetched (2xx) and parsed as a JWK set with at least one key. */
    record Jwks(String subject, URI url, Duration timeout) implements Probe {
        public Jwks {
            ProbeArguments.subject(subject);
            ProbeArguments.url(url);
            ProbeArguments.timeout(timeout);
        }
    }

    /** Redis answers PING with PONG within timeout. */
    record Redis(String subject, String host, int port, Duration timeout) implements Probe {
        public Redis {
            ProbeArguments.subject(subject);
            ProbeArguments.host(host);
            ProbeArguments.port(port);
            ProbeArguments.timeout(timeout);
        }
    }
}
