package org.expertlm.registry.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.osgi.framework.Version;

/**
 * The registry's side of the deploy folder: what is installed is what the folder holds, so upgrades and
 * rollbacks are file moves there. A jar goes in through a dot-file (FileInstall ignores those) renamed
 * into place, so that FileInstall never sees half a jar; a version rolled back goes to the retired folder,
 * from which it can be upgraded to again.
 */
final class DeployFolder {

    /** The expert id and version a jar's manifest declares. */
    record JarIdentity(String id, Version version, boolean expert) {
    }

    private final Path folder;
    private final Path retired;

    DeployFolder(Path folder, Path retired) {
        this.folder = folder;
        this.retired = retired;
    }

    Path folder() {
        return folder;
    }

    Path retired() {
        return retired;
    }

    /**
     * The id and version {@code jar}'s manifest declares.
     *
     * @throws IllegalArgumentException when it is no readable jar with a symbolic name
     */
    static JarIdentity identify(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            Attributes main = manifest == null ? new Attributes() : manifest.getMainAttributes();
            String name = main.getValue("Bundle-SymbolicName");
            if (name == null) {
                throw new IllegalArgumentException(jar + " has no Bundle-SymbolicName in its manifest; expected an expert bundle "
                        + "written by elm:package");
            }
            String capability = main.getValue("Provide-Capability");
            return new JarIdentity(name.split(";", 2)[0].trim(), Version.parseVersion(main.getValue("Bundle-Version")),
                    capability != null && capability.contains(ExpertBundleLayout.NAMESPACE));
        } catch (IOException e) {
            throw new IllegalArgumentException(jar + " is not a readable jar (" + e.getMessage() + "; truncated, or still being "
                    + "written?); expected an expert bundle written by elm:package", e);
        }
    }

    /** The jars in the folder, hidden ones (a copy on its way in) left out. */
    List<Path> jars() {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar") && !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            return List.of(); // no folder, no jars
        }
    }

    /** The location FileInstall, the deployment monitor and the registry's installer give a file's bundle. */
    static String location(Path file) {
        return file.toFile().toURI().normalize().toString();
    }

    /** True unless {@code jar} is a readable bundle of another kind than an expert (whose installation is not ours). */
    static boolean mayBeExpert(Path jar) {
        try {
            return identify(jar).expert();
        } catch (IllegalArgumentException unreadable) {
            return true;
        }
    }

    /** The file a bundle location names when it lies in this folder. */
    Optional<Path> fileOf(String location) {
        try {
            Path file = Path.of(URI.create(location)).normalize();
            return file.getParent() != null && file.getParent().equals(folder.normalize()) ? Optional.of(file) : Optional.empty();
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException notAFile) {
            return Optional.empty();
        }
    }

    /**
     * Copies {@code jar} into the folder as {@code name}, atomically.
     *
     * @throws IllegalArgumentException when a file of that name is there already
     */
    Path put(Path jar, String name) throws IOException {
        Path target = folder.resolve(name);
        if (Files.exists(target)) {
            throw new IllegalArgumentException(target + " is in the deploy folder already; remove it first, or give the expert "
                    + "another version");
        }
        Path partial = folder.resolve("." + name + ".partial");
        try {
            Files.copy(jar, partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
        return target;
    }

    /** Moves {@code file} out of the folder into the retired folder, and returns where it went. */
    Path retire(Path file) throws IOException {
        Files.createDirectories(retired);
        Path target = retired.resolve(file.getFileName());
        Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }
}
