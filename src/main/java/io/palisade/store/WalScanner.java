package io.palisade.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a SQLite write-ahead log the way SQLite's recovery does (https://sqlite.org/fileformat2.html#walformat), before
 * SQLite opens the database, to measure what recovery is about to discard: the bytes after the last valid commit frame.
 * SQLite cuts them silently; the gateway logs and counts them.
 *
 * <p>The format: a 32-byte header (magic 0x377f0682 or 0x377f0683, whose low bit says whether checksums read the data as
 * big-endian words; version; page size; checkpoint sequence; salt-1, salt-2; a checksum of the first 24 bytes), then
 * frames of a 24-byte header (page number; the database size in pages after a commit, 0 in other frames; both salts;
 * a checksum) and one page. A frame's checksum continues the previous one's over its first 8 header bytes and its page.
 * A frame is valid while its salts are the header's and its checksum chains; the log holds what precedes the last
 * valid commit frame, and nothing after the first invalid frame counts.
 *
 * <p>The bytes after the last commit are classified for the log line: valid frames of a transaction that never
 * committed and a torn or corrupt tail are what a crash left ({@link Result#tornBytes()}); whole frames carrying
 * another salt-1 are frames of an earlier WAL generation, which SQLite left behind when it restarted the log from its
 * start after a checkpoint and which it ignores on every open: they are reported apart and are not torn.
 */
final class WalScanner {
    static final int HEADER_BYTES = 32;
    static final int FRAME_HEADER_BYTES = 24;
    private static final int MAGIC_LITTLE = 0x377f0682;
    private static final int MAGIC_BIG = 0x377f0683;
    private static final int MIN_PAGE = 512;
    private static final int MAX_PAGE = 65536;

    private WalScanner() {
    }

    /**
     * @param fileBytes       the WAL's length
     * @param committedBytes  where the last valid commit frame ends (the header's end when there is none)
     * @param commits         valid commit frames
     * @param uncommitted     valid frames after the last commit (a transaction the crash interrupted)
     * @param staleBytes      whole frames of an earlier WAL generation after the valid ones
     * @param tornBytes       what the crash left after the last commit: uncommitted frames and a corrupt or partial tail
     * @param why             why the valid frames end there, e.g. "a partial frame of 1,200 bytes"; empty when they
     *                        run to the end of the file
     */
    record Result(long fileBytes, long committedBytes, long commits, long uncommitted, long staleBytes,
                  long tornBytes, String why) {
        static final Result NONE = new Result(0, 0, 0, 0, 0, 0, "");

        /**
         * A line for the log, or empty when nothing was cut. Frames of an earlier generation are mentioned only beside
         * a torn tail: alone they are what any restart after a busy period finds, and nothing was lost or cut.
         */
        String detail() {
            if (tornBytes == 0) {
                return "";
            }
            StringBuilder line = new StringBuilder(String.format(
                    "cut %,d bytes of a torn WAL tail after the last of %,d commits", tornBytes, commits));
            if (uncommitted > 0) {
                line.append(String.format(" (%,d frames of a transaction that never committed)", uncommitted));
            }
            if (!why.isEmpty()) {
                line.append(", ending in ").append(why);
            }
            if (staleBytes > 0) {
                line.append(String.format("; %,d bytes of an earlier WAL generation after it ignored, as always",
                        staleBytes));
            }
            return line.toString();
        }
    }

    /** Scans {@code wal}; a missing file is an empty log (the last close checkpointed and deleted it). */
    static Result scan(Path wal) throws IOException {
        long size;
        try {
            size = Files.size(wal);
        } catch (NoSuchFileException e) {
            return Result.NONE;
        }
        if (size == 0) {
            return Result.NONE;
        }
        try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.READ)) {
            return scan(ch, size);
        }
    }

    private static Result scan(FileChannel ch, long size) throws IOException {
        if (size < HEADER_BYTES) {
            return new Result(size, 0, 0, 0, 0, size, String.format("a partial header of %,d bytes", size));
        }
        ByteBuffer header = read(ch, 0, HEADER_BYTES);
        int magic = header.getInt(0);
        int pageSize = header.getInt(8);
        if (magic != MAGIC_LITTLE && magic != MAGIC_BIG || pageSize < MIN_PAGE || pageSize > MAX_PAGE
                || Integer.bitCount(pageSize) != 1) {
            // SQLite treats the whole log as empty: nothing in it was ever readable as committed.
            return new Result(size, 0, 0, 0, 0, size, "a header that is not a WAL header");
        }
        ByteOrder order = magic == MAGIC_BIG ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int salt1 = header.getInt(16);
        int salt2 = header.getInt(20);
        Checksum sum = new Checksum(order);
        sum.add(header, 0, 24);
        if (sum.s0 != header.getInt(24) || sum.s1 != header.getInt(28)) {
            return new Result(size, 0, 0, 0, 0, size, "a header whose checksum does not match");
        }
        int frameBytes = FRAME_HEADER_BYTES + pageSize;
        long committedEnd = HEADER_BYTES;
        long commits = 0;
        long validFrames = 0;
        long committedFrames = 0;
        long offset = HEADER_BYTES;
        String why = "";
        long stale = 0;
        ByteBuffer frame = ByteBuffer.allocate(frameBytes);
        while (true) {
            if (offset == size) {
                break;
            }
            if (size - offset < frameBytes) {
                why = String.format("a partial frame of %,d bytes", size - offset);
                break;
            }
            frame.clear();
            readFully(ch, frame, offset);
            int frameSalt1 = frame.getInt(8);
            if (frameSalt1 != salt1 || frame.getInt(12) != salt2) {
                if (frameSalt1 != salt1 && (size - offset) % frameBytes == 0) {
                    // Whole frames of another generation to the end: what a restarted log left behind it.
                    stale = size - offset;
                } else {
                    why = "a frame whose salts are not the header's";
                }
                break;
            }
            int s0 = sum.s0;
            int s1 = sum.s1;
            sum.add(frame, 0, 8);
            sum.add(frame, FRAME_HEADER_BYTES, pageSize);
            if (sum.s0 != frame.getInt(16) || sum.s1 != frame.getInt(20) || frame.getInt(0) == 0) {
                sum.s0 = s0;
                sum.s1 = s1;
                why = "a frame whose checksum does not chain";
                break;
            }
            validFrames++;
            offset += frameBytes;
            if (frame.getInt(4) != 0) {
                commits++;
                committedFrames = validFrames;
                committedEnd = offset;
            }
        }
        long torn = size - committedEnd - stale;
        return new Result(size, committedEnd, commits, validFrames - committedFrames, stale, torn, why);
    }

    private static ByteBuffer read(FileChannel ch, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        readFully(ch, b, at);
        return b;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new IOException("the WAL ended while it was read (another process is writing it?)");
            }
            pos += n;
        }
        // Header fields are big-endian whatever order the checksums use.
        b.flip().order(ByteOrder.BIG_ENDIAN);
    }

    /** SQLite's WAL checksum: two 32-bit sums over pairs of words, carried from frame to frame. */
    private static final class Checksum {
        private final ByteOrder order;
        int s0;
        int s1;

        Checksum(ByteOrder order) {
            this.order = order;
        }

        void add(ByteBuffer b, int from, int length) {
            ByteBuffer words = b.duplicate().order(order);
            for (int i = from; i < from + length; i += 8) {
                s0 += words.getInt(i) + s1;
                s1 += words.getInt(i + 4) + s0;
            }
        }
    }
}
