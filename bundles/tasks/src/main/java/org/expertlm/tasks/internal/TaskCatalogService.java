package org.expertlm.tasks.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.expertlm.api.ContainerProperties;
import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TaskInfo;
import org.expertlm.api.TrainingSet;
import org.expertlm.tasks.catalog.DatasetDefinition;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.catalog.RecordStore;
import org.expertlm.tasks.catalog.Renderer;
import org.expertlm.tasks.catalog.TemplateDefinition;
import org.expertlm.tasks.corpus.LmCorpus;
import org.expertlm.tasks.parse.Skips;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The catalog over this bundle's dataset definitions and the record files of the data cache (the
 * launcher names it in {@code elm.data.dir}). Records are read on first use and kept until their
 * file changes; templates are rendered on every call, so a new template needs no rebuild of data.
 */
@Component(service = TaskCatalog.class)
public final class TaskCatalogService implements TaskCatalog {

    private static final String FETCH = "run ./elm data fetch";

    private final Map<String, Cached> records = new ConcurrentHashMap<>();
    private List<DatasetDefinition> definitions;
    private Path cache;

    /** One split's records and the modification time of the file they came from. */
    private record Cached(long modified, List<Record> records) {
    }

    @Activate
    void activate(BundleContext context) {
        String dir = context.getProperty(ContainerProperties.DATA_DIR);
        activate(Paths.get(dir == null ? "data" : dir).toAbsolutePath().normalize(), DatasetDefinition.all());
    }

    void activate(Path cache, List<DatasetDefinition> definitions) {
        this.cache = cache;
        this.definitions = definitions;
    }

    @Override
    public List<TaskInfo> tasks() {
        List<TaskInfo> tasks = new ArrayList<>();
        for (DatasetDefinition d : definitions) {
            List<TaskInfo.Template> templates = new ArrayList<>();
            for (TemplateDefinition t : d.templates()) {
                templates.add(new TaskInfo.Template(d.dataset() + "/" + t.name(),
                        t.isClassification() ? "choices" : "generation", t.choices()));
            }
            RecordStore.Header header;
            String status;
            try {
                header = RecordStore.header(cache, d.dataset());
                status = header == null ? "not fetched: " + FETCH
                        : !header.buildHash().equals(d.buildHash()) ? "stale: built under another definition; " + FETCH
                        : "ready";
            } catch (IOException e) {
                header = null;
                status = "unreadable: " + e.getMessage();
            }
            tasks.add(new TaskInfo(d.dataset(), d.cluster(), d.heldOut(), d.description(), d.sources(), templates,
                    header == null ? Map.of() : header.counts(), status));
        }
        tasks.sort(Comparator.comparing(TaskInfo::heldOut));
        return tasks;
    }

    @Override
    public List<TaskExample> examples(String templateId, Split split, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("the number of examples must not be negative: " + limit);
        }
        String[] parts = templateId.split("/", 2);
        DatasetDefinition d = definitions.stream().filter(x -> x.dataset().equals(parts[0])).findFirst().orElse(null);
        TemplateDefinition t = d == null || parts.length < 2 ? null : d.template(parts[1]);
        if (t == null) {
            List<String> known = new ArrayList<>();
            definitions.forEach(x -> x.templates().forEach(y -> known.add(x.dataset() + "/" + y.name())));
            throw new IllegalArgumentException("no template '" + templateId + "'; templates are named dataset/template: "
                    + String.join(", ", known));
        }
        RecordStore.Header header = header(d);
        if (header == null || !header.buildHash().equals(d.buildHash())) {
            throw new IllegalStateException("the records of " + d.dataset() + " are "
                    + (header == null ? "not in the data cache " + cache : "stale") + "; " + FETCH);
        }
        List<TaskExample> out = new ArrayList<>();
        for (Record r : read(d.dataset(), split)) {
            if (out.size() >= limit) {
                break;
            }
            out.add(Renderer.render(d.dataset(), t, r, split));
        }
        return out;
    }

    private RecordStore.Header header(DatasetDefinition d) {
        try {
            return RecordStore.header(cache, d.dataset());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private List<Record> read(String dataset, Split split) {
        Path file = RecordStore.file(cache, dataset);
        try {
            long modified = Files.getLastModifiedTime(file).toMillis();
            Cached cached = records.get(dataset + "/" + split.id());
            if (cached == null || cached.modified() != modified) {
                cached = new Cached(modified, List.copyOf(RecordStore.read(cache, dataset, split)));
                records.put(dataset + "/" + split.id(), cached);
            }
            return cached.records();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public TrainingSet trainingSet(String what) {
        return TrainingSets.of(this, what, false);
    }

    @Override
    public TrainingSet newTaskTrainingSet(String templateId) {
        if (!templateId.contains("/")) {
            throw new IllegalArgumentException("'" + templateId + "' is not a template id (dataset/template); a new task's "
                    + "expert learns one template");
        }
        return TrainingSets.of(this, templateId, true);
    }

    @Override
    public SortedSet<String> answerWords() {
        SortedSet<String> words = new TreeSet<>();
        definitions.forEach(d -> d.templates().forEach(t -> words.addAll(t.choices())));
        return words;
    }

    @Override
    public List<String> lmCorpus() {
        try {
            return LmCorpus.documents(cache, new Skips());
        } catch (IOException e) {
            throw new IllegalStateException("the LM-adaptation corpus cannot be read: " + e.getMessage(), e);
        }
    }
}
