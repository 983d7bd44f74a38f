package io.palisade.status;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes the page and its JSON into {@code export_dir} as static files, so another server (or a bucket) can serve the
 * last page while this gateway is down. Each file is written beside its final name and renamed over it, so a reader
 * sees the old file or the new one, never half of one; a file whose bytes did not change is not rewritten. Runs on the
 * render thread only.
 */
final class Exporter {
    private final Path dir;
    private final Map<String, byte[]> written = new HashMap<>();

    Exporter(Path dir) {
        this.dir = dir;
    }

    /** @throws IOException the first file that could not be written; the others are still tried */
    void write(Map<String, byte[]> files) throws IOException {
        IOException first = null;
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (Arrays.equals(written.get(f.getKey()), f.getValue())) {
                continue;
            }
            try {
                writeAtomically(dir.resolve(f.getKey()), f.getValue());
                written.put(f.getKey(), f.getValue());
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void writeAtomically(Path target, byte[] body) throws IOException {
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, body);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
