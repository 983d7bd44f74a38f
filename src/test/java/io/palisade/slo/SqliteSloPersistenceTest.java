package io.palisade.slo;

import io.palisade.store.StateStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** SLO counters in the embedded store: a SQLite file in a temp directory. */
class SqliteSloPersistenceTest extends SloPersistenceTest {
    @TempDir
    Path dir;

    @Override
    void freshStorage() {
        // The temp directory is new for each test.
    }

    @Override
    StateStore openStorage() {
        return StateStore.embedded(dir);
    }
}
