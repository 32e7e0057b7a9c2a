package org.expertlm.tasks.data;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.expertlm.launch.LauncherTool;
import org.expertlm.tasks.catalog.DatasetDefinition;
import org.expertlm.tasks.catalog.builders.CatalogBuild;

/**
 * {@code ./elm data fetch [source…]}: fills the data cache from the registries, writes the Bible
 * dumps, then builds the record file of every dataset whose sources are there; {@code ./elm data
 * cards} writes the data cards. Runs in the launcher's process, outside OSGi: the launcher finds it as
 * the {@link LauncherTool} named {@code data} (listed in this jar's {@code META-INF/services}).
 */
public final class DataCommand implements LauncherTool {

    static final String USAGE = String.join("\n",
            "usage: elm data fetch [source...]   fetch every source (or the named ones) into the data cache and build the task records",
            "       elm data cards [folder]       write a data card per dataset (default docs/data-cards)");

    @Override
    public String name() {
        return "data";
    }

    @Override
    public String usage() {
        return USAGE;
    }

    /** Returns the exit status: 0 done, 1 a source failed, 2 bad usage. */
    @Override
    public int run(List<String> args, Path home, Path cache, PrintStream out, PrintStream err) {
        if (!args.isEmpty() && args.get(0).equals("cards") && args.size() <= 2) {
            Path folder = args.size() == 2 ? Path.of(args.get(1)).toAbsolutePath() : home.resolve("docs").resolve("data-cards");
            try {
                int n = DataCards.write(cache, DatasetDefinition.all(), folder);
                out.println("Wrote " + n + " data cards into " + folder);
                return 0;
            } catch (IOException | RuntimeException e) {
                err.println("elm: writing the data cards into " + folder + " failed: " + e.getMessage());
                return 1;
            }
        }
        if (args.isEmpty() || !args.get(0).equals("fetch")) {
            err.println("elm: " + (args.isEmpty() ? "data needs a subcommand" : "unknown data subcommand '" + args.get(0) + "'"));
            err.println(USAGE);
            return 2;
        }
        List<Source> wanted = new ArrayList<>();
        try {
            for (String id : args.subList(1, args.size())) {
                wanted.add(Sources.byId(id));
            }
        } catch (IllegalArgumentException e) {
            err.println("elm: " + e.getMessage());
            return 2;
        }
        boolean all = wanted.isEmpty();
        List<Source> sources = all ? Sources.all() : wanted;
        long start = System.nanoTime();
        out.println("Fetching " + sources.size() + " sources into " + cache);
        try {
            new DataFetcher(cache, out).fetch(sources);
            if (all) {
                BibleDump.dump(cache, out);
            }
            out.println("Building the task records");
            CatalogBuild.build(cache, DatasetDefinition.all(), out);
        } catch (FetchException e) {
            err.println("elm: " + e.getMessage());
            err.println("Sources fetched so far stay in the cache; run the same command again to go on.");
            return 1;
        } catch (IOException | RuntimeException e) {
            err.println("elm: building the task records failed: " + e.getMessage());
            err.println("Fetched sources stay in the cache; run the same command again after fixing the cause.");
            return 1;
        }
        out.printf("Data cache ready in %.0f s: %s%n", (System.nanoTime() - start) / 1e9, cache);
        return 0;
    }
}
