package org.expertlm.tasks.data;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Dumps the three fetched SWORD Bible modules to plain text with {@code diatheke}, one file per
 * module in {@code bible/}: the verse dumps the Bible parser reads.
 */
public final class BibleDump {

    /** SWORD module → the source that ships it. */
    public static final Map<String, String> MODULES = Map.of(
            "engKJV2006eb", "sword-kjv", "engWEB2015eb", "sword-web", "spaRV1909eb", "sword-sparv");
    private static final String RANGE = "Genesis 1:1 - Revelation 22:21";

    private BibleDump() {
    }

    /** The dump of one module. */
    public static Path dumpFile(Path cache, String module) {
        return cache.resolve("bible").resolve(module + ".txt");
    }

    /** Writes every missing dump; the modules' sources must have been fetched. */
    public static void dump(Path cache, PrintStream progress) throws FetchException {
        try {
            Path sword = cache.resolve("bible").resolve("sword");
            for (Map.Entry<String, String> module : MODULES.entrySet()) {
                Path out = dumpFile(cache, module.getKey());
                if (Files.isRegularFile(out)) {
                    progress.println("bible " + module.getKey() + ": already dumped");
                    continue;
                }
                ensureDiatheke();
                copyTree(DataFetcher.sourceFolder(cache, module.getValue()).resolve("usr/share/sword"), sword);
                String text = Command.run(List.of("diatheke", "-b", module.getKey(), "-f", "plain", "-k", RANGE),
                        cache, Map.of("SWORD_PATH", sword.toString()));
                if (!text.contains("Genesis 1:1:")) {
                    throw new FetchException("diatheke printed no verses for " + module.getKey() + ":\n" + Command.tail(text, 5));
                }
                Path partial = out.resolveSibling(out.getFileName() + ".partial");
                Files.writeString(partial, text);
                Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
                progress.println("bible " + module.getKey() + ": dumped " + text.lines().count() + " lines");
            }
        } catch (IOException e) {
            throw new FetchException("the Bible dumps could not be written under " + cache + ": " + e.getMessage(), e);
        }
    }

    /** diatheke is a program, not data: installed from Debian when missing and allowed (root). */
    private static void ensureDiatheke() throws FetchException {
        if (Command.onPath("diatheke")) {
            return;
        }
        if (!RegistryClient.isRoot()) {
            throw new FetchException("the Bible dumps need the program diatheke; install it with"
                    + " 'sudo apt-get install diatheke', then run the fetch again");
        }
        Path here = Path.of(".").toAbsolutePath();
        try {
            Command.run(List.of("apt-get", "install", "-y", "-q", "diatheke"), here, Map.of("DEBIAN_FRONTEND", "noninteractive"));
        } catch (FetchException e) {
            Command.run(List.of("apt-get", "update", "-q"), here, Map.of());
            Command.run(List.of("apt-get", "install", "-y", "-q", "diatheke"), here, Map.of("DEBIAN_FRONTEND", "noninteractive"));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!Files.exists(target)) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
