package org.expertlm.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default expert library the distribution ships in its own {@code deploy/}: each jar there is copied into
 * the container's deploy folder once, the first time a container starts with a distribution that has it, so
 * that the source tree's {@code ./elm} (whose deploy folder is the repository's {@code deploy/}) starts holding
 * the library. Only the home's own {@code deploy/} is seeded: a deploy folder named by {@code --deploy} is left as
 * it is. Copied names are recorded in {@value #RECORD} of the deploy folder itself (a dot-file, which
 * FileInstall ignores): a jar removed from the folder (or rolled back) stays removed whatever work folder a
 * container uses, and a jar a later build adds arrives at the next start.
 */
final class DefaultLibrary {

    static final String RECORD = ".elm-default-library";
    private static final Logger LOG = LoggerFactory.getLogger(DefaultLibrary.class);

    private DefaultLibrary() {
    }

    /** Copies the shipped jars not copied before; returns their names. */
    static List<String> seed(Settings settings) throws IOException {
        Path shipped = settings.bundles().getParent().resolve("deploy");
        boolean defaultDeployFolder = settings.deploy().equals(settings.home().resolve("deploy"));
        if (!defaultDeployFolder || !Files.isDirectory(shipped) || Files.isSameFile(shipped, settings.deploy())) {
            return List.of();
        }
        Path record = settings.deploy().resolve(RECORD);
        Set<String> copied = new LinkedHashSet<>(Files.exists(record)
                ? Files.readAllLines(record, StandardCharsets.UTF_8) : List.of());
        int recorded = copied.size();
        List<String> added = new ArrayList<>();
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(shipped, "*.jar")) {
            for (Path jar : jars) {
                String name = jar.getFileName().toString();
                if (copied.contains(name)) {
                    continue;
                }
                Path target = settings.deploy().resolve(name);
                if (!Files.exists(target)) {
                    // A hidden name while it is written: FileInstall ignores it until the rename.
                    Path partial = settings.deploy().resolve("." + name + ".partial");
                    try {
                        Files.copy(jar, partial, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                    } finally {
                        Files.deleteIfExists(partial);
                    }
                    added.add(name);
                }
                copied.add(name);
            }
        }
        if (copied.size() != recorded || !Files.exists(record)) {
            Path partial = record.resolveSibling(RECORD + ".partial");
            Files.write(partial, copied, StandardCharsets.UTF_8);
            Files.move(partial, record, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        if (!added.isEmpty()) {
            LOG.info("Default library: {} expert jars copied from {} into {}", added.size(), shipped, settings.deploy());
        }
        return added;
    }
}
