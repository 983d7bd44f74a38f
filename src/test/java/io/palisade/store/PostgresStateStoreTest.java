package io.palisade.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.palisade.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract on PostgreSQL: a real server for the class (fails, never skips, when PostgreSQL is not installed),
 * a new database for each test. Two stores on one database stand for two gateways.
 */
class PostgresStateStoreTest extends StateStoreContractTest {
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

    @Test
    void wrongPassword_failsToOpen_namingTheDatabase() {
        assertThatThrownBy(() -> StateStore.postgres(url, server.user(), "wrong"))
                .isInstanceOf(StoreException.class).hasMessageContaining("opening PostgreSQL at " + url);
    }
}
