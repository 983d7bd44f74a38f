package io.palisade.drills;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Prints a drill's figures and keeps them in target/drills/NAME.txt for the notes. */
final class Report {
    private final Path file;
    private final StringBuilder text = new StringBuilder();

    Report(String name) throws IOException {
        Path dir = Files.createDirectories(Path.of(System.getProperty("palisade.drill.reports", "target/drills")));
        file = dir.resolve(name + ".txt");
        Files.deleteIfExists(file);
    }

    Report line(String format, Object... args) {
        String l = String.format(format, args);
        System.out.println("[drill] " + l);
        text.append(l).append('\n');
        try {
            Files.writeString(file, l + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return this;
    }

    String text() {
        return text.toString();
    }
}
