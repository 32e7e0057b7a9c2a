package org.expertlm.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

/** Writes small real bundles (a manifest and one data file) and drops them into a folder atomically. */
final class TestBundles {

    private TestBundles() {
    }

    /**
     * Writes a bundle to a temporary file beside {@code folder}, then moves it in under {@code name}.
     * {@code headers} are further manifest headers, as name, value, name, value, ...
     */
    static Path deploy(Path folder, String name, String symbolicName, String version, String... headers) throws IOException {
        Path staging = Files.createTempFile(folder.getParent(), "staging-", ".jar");
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Version", version);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            main.putValue(headers[i], headers[i + 1]);
        }
        try (OutputStream file = Files.newOutputStream(staging); JarOutputStream jar = new JarOutputStream(file, manifest)) {
            jar.putNextEntry(new ZipEntry("data/version.txt"));
            jar.write(version.getBytes());
            jar.closeEntry();
        }
        return Files.move(staging, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Moves text into {@code folder/name} atomically, as an editor that saves by rename does. */
    static Path write(Path folder, String name, String text) throws IOException {
        Path staging = Files.createTempFile(folder.getParent(), "staging-", ".tmp");
        Files.writeString(staging, text);
        return Files.move(staging, folder.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
