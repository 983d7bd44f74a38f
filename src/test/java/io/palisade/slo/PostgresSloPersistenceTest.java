package io.palisade.slo;

import io.palisade.store.StateStore;
import io.palisade.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** SLO counters in PostgreSQL: a real server for the class, a new database for each test. */
class PostgresSloPersistenceTest extends SloPersistenceTest {
    private static PostgresServer server;
    private String url;

    @BeforeAll
    static void startServer() {
        server = PostgresServer.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    void freshStorage() {
        url = server.createDatabase();
    }

    @Override
    StateStore openStorage() {
        return StateStore.postgres(url, server.user(), server.password());
    }
}
