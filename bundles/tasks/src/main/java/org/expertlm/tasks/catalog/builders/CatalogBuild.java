package org.expertlm.tasks.catalog.builders;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.expertlm.api.Split;
import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.DatasetDefinition;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.catalog.RecordStore;
import org.expertlm.tasks.catalog.Splitter;
import org.expertlm.tasks.data.DataFetcher;
import org.expertlm.tasks.data.Sources;
import org.expertlm.tasks.parse.Skips;

/**
 * Builds the record file of every dataset whose sources are fetched and whose file is missing or was
 * built under another definition. Skipped source records are reported as one warning per dataset.
 */
public final class CatalogBuild {

    private CatalogBuild() {
    }

    /** Returns the datasets that could not be built because a source is missing. */
    public static List<String> build(Path cache, List<DatasetDefinition> definitions, PrintStream progress) throws IOException {
        List<String> missing = new ArrayList<>();
        for (DatasetDefinition d : definitions) {
            String absent = d.sources().stream()
                    .filter(id -> !DataFetcher.isFetched(cache, Sources.byId(id)))
                    .findFirst().orElse(null);
            if (absent != null) {
                missing.add(d.dataset());
                progress.println("task " + d.dataset() + ": source " + absent + " is not fetched; skipped");
                continue;
            }
            RecordStore.Header header = readableHeader(cache, d, progress);
            if (header != null && header.buildHash().equals(d.buildHash())) {
                progress.println("task " + d.dataset() + ": up to date " + header.counts());
                continue;
            }
            long start = System.nanoTime();
            Skips skips = new Skips();
            List<Record> records = Builders.named(d.builder()).build(new BuildContext(cache, d, skips));
            Map<Split, List<Record>> split = Splitter.split(d, records);
            RecordStore.Header written = RecordStore.write(cache, d, split, skips.byReason());
            progress.printf("task %s: %d records → %s in %.1f s%n", d.dataset(), records.size(), written.counts(),
                    (System.nanoTime() - start) / 1e9);
            if (skips.total() > 0) {
                progress.println("  warning: " + skips.summary());
            }
        }
        return missing;
    }

    /** The record file's header, or null when there is none or it cannot be read (then it is rebuilt). */
    private static RecordStore.Header readableHeader(Path cache, DatasetDefinition d, PrintStream progress) {
        try {
            return RecordStore.header(cache, d.dataset());
        } catch (IOException e) {
            progress.println("task " + d.dataset() + ": " + e.getMessage() + "; rebuilding it");
            return null;
        }
    }
}
