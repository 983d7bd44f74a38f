package io.palisade.ingest;

import io.palisade.upstream.Cluster;
import java.util.Optional;

/**
 * The clusters of the config version that serves now, looked up by name at every delivery attempt, so a reload that
 * changes or removes an ingest route's cluster applies from the next attempt on.
 */
@FunctionalInterface
interface ClusterSource {
    /** The serving version's cluster named {@code name}; empty when that version has none of that name. */
    Optional<Cluster> cluster(String name);
}
