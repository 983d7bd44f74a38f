package io.palisade.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scanner on WAL files SQLite wrote: a connection with automatic checkpoints off keeps every frame in the WAL, and
 * the file is copied while it is open (as a crash leaves it), then damaged the ways a crash can.
 */
class WalScannerTest {
    private static final int FRAME = WalScanner.FRAME_HEADER_BYTES + 4096;

    @TempDir
    Path tmp;
    private Connection c;
    private Path db;

    @BeforeEach
    void open() throws Exception {
        db = tmp.resolve("t.db");
        c = DriverManager.getConnection("jdbc:sqlite:" + db);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode = WAL");
            s.execute("PRAGMA wal_autocheckpoint = 0");
            s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
        }
    }

    @AfterEach
    void close() throws Exception {
        c.close();
    }

    private void commit(int rows, int bytes) throws Exception {
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (body) VALUES (?)")) {
            for (int i = 0; i < rows; i++) {
                ps.setBytes(1, new byte[bytes]);
                ps.executeUpdate();
            }
        }
        c.commit();
        c.setAutoCommit(true);
    }

    private Path copy(String name) throws Exception {
        Path copy = tmp.resolve(name);
        Files.copy(Path.of(db + "-wal"), copy);
        return copy;
    }

    @Test
    void missingOrEmpty_isNothing() throws Exception {
        assertThat(WalScanner.scan(tmp.resolve("none-wal"))).isEqualTo(WalScanner.Result.NONE);
        Path empty = Files.createFile(tmp.resolve("empty-wal"));
        assertThat(WalScanner.scan(empty)).isEqualTo(WalScanner.Result.NONE);
        assertThat(WalScanner.Result.NONE.detail()).isEmpty();
    }

    @Test
    void aWalOfCommits_hasNothingToCut() throws Exception {
        commit(3, 100);
        commit(10, 3000);
        WalScanner.Result r = WalScanner.scan(copy("clean-wal"));
        assertThat(r.commits()).isEqualTo(3);
        assertThat(r.committedBytes()).isEqualTo(r.fileBytes());
        assertThat(r.tornBytes()).isZero();
        assertThat(r.staleBytes()).isZero();
        assertThat(r.uncommitted()).isZero();
        assertThat(r.detail()).isEmpty();
    }

    @Test
    void aPartialLastFrame_cutsTheLastCommit() throws Exception {
        commit(3, 100);
        long before = Files.size(Path.of(db + "-wal"));
        commit(1, 100);
        Path wal = copy("partial-wal");
        long cut = Files.size(wal) - FRAME / 3;
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.setLength(cut);
        }
        WalScanner.Result r = WalScanner.scan(wal);
        assertThat(r.committedBytes()).isEqualTo(before);
        assertThat(r.tornBytes()).isEqualTo(cut - before);
        assertThat(r.why()).startsWith("a partial frame of");
        assertThat(r.detail()).startsWith(String.format("cut %,d bytes of a torn WAL tail after the last of 2 commits",
                cut - before));
    }

    @Test
    void aCorruptFrame_endsTheValidOnes() throws Exception {
        commit(3, 100);
        long before = Files.size(Path.of(db + "-wal"));
        commit(20, 3000);
        Path wal = copy("corrupt-wal");
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.seek(before + 2L * FRAME + 100);
            f.write(0x5a ^ f.readByte());
        }
        WalScanner.Result r = WalScanner.scan(wal);
        assertThat(r.committedBytes()).isEqualTo(before);
        assertThat(r.uncommitted()).as("the two frames before the corrupt one chain, but no commit follows")
                .isEqualTo(2);
        assertThat(r.tornBytes()).isEqualTo(Files.size(wal) - before);
        assertThat(r.why()).isEqualTo("a frame whose checksum does not chain");
    }

    @Test
    void aDamagedHeader_makesTheWholeFileTorn() throws Exception {
        commit(3, 100);
        Path wal = copy("header-wal");
        try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
            f.seek(17);
            f.write(0x5a ^ f.readByte());
        }
        WalScanner.Result r = WalScanner.scan(wal);
        assertThat(r.committedBytes()).isZero();
        assertThat(r.tornBytes()).isEqualTo(Files.size(wal));
        assertThat(r.why()).isEqualTo("a header whose checksum does not match");

        Path shortFile = tmp.resolve("short-wal");
        Files.write(shortFile, new byte[10]);
        assertThat(WalScanner.scan(shortFile).tornBytes()).isEqualTo(10);
    }

    /**
     * After a checkpoint copied everything, SQLite writes the log from its start again with a new salt-1, leaving the
     * older, longer generation's frames behind the new ones: those are not torn.
     */
    @Test
    void framesOfAnEarlierGeneration_areStale_notTorn() throws Exception {
        commit(40, 3000);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA wal_checkpoint(PASSIVE)");
        }
        commit(1, 100);
        Path wal = copy("restarted-wal");
        WalScanner.Result r = WalScanner.scan(wal);
        assertThat(r.commits()).isEqualTo(1);
        assertThat(r.staleBytes()).isEqualTo(r.fileBytes() - r.committedBytes()).isGreaterThan(10L * FRAME);
        assertThat(r.tornBytes()).isZero();
        assertThat(r.detail()).as("nothing was cut").isEmpty();
    }
}
