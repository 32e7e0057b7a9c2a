package org.expertlm.registry.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A jar whose bytes depend on its entries alone: entries in the order given (the manifest first, as
 * readers of jars expect), every one with the same timestamp, written to a
 * temporary name and moved into place, so that a folder watcher never sees half a jar.
 */
final class DeterministicJar {

    /** The DOS epoch: zip timestamps are local times, and this one means the same everywhere. */
    private static final LocalDateTime TIMESTAMP = LocalDateTime.of(1980, 1, 1, 0, 0);

    private final Map<String, byte[]> entries = new LinkedHashMap<>();

    DeterministicJar add(String name, byte[] content) {
        if (entries.putIfAbsent(name, content) != null) {
            throw new IllegalArgumentException("the jar already has an entry " + name);
        }
        return this;
    }

    /** Writes the jar to {@code file} (replacing one that is there) through {@code .<name>.partial} beside it. */
    void write(Path file) throws IOException {
        Path partial = file.resolveSibling("." + file.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(partial); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setTimeLocal(TIMESTAMP);
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
