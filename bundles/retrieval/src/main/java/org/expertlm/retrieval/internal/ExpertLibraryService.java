package org.expertlm.retrieval.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.Retriever;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.TaskExample;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Expert Library as a service: it follows the active version of every installed expert (the registry's
 * {@code expert.active=true} services), indexing its library instances in Lucene under {@code
 * work/retrieval/index}, and answers retrievals by the RoE vote. Index changes run on one thread, in the order
 * the services change; an index of another format is deleted and rebuilt, and at activation the experts no
 * longer installed are taken out, so that the index never disagrees with the registry for long.
 */
@Component(service = Retriever.class, immediate = true)
public final class ExpertLibraryService implements Retriever {

    private static final Logger LOG = LoggerFactory.getLogger(ExpertLibraryService.class);
    /** Library instances shown per chosen expert as the explanation. */
    private static final int NEAREST_SHOWN = 3;
    /** How much deeper than k each list of a hybrid search goes before the fusion. */
    private static final int HYBRID_DEPTH = 10;

    private final SentenceEncoder encoder;
    private final Directory directory;
    private final LibraryIndex index;
    private final ExecutorService indexer = Executors.newSingleThreadExecutor(r -> new Thread(r, "elm-library-index"));
    /** The version of each expert id the registry has active now; guarded by itself. */
    private final Map<String, String> active = new HashMap<>();

    @Activate
    public ExpertLibraryService(@Reference SentenceEncoder encoder, BundleContext context) throws IOException {
        this.encoder = encoder;
        String work = context.getProperty(ContainerProperties.WORK_DIR);
        Path folder = (work != null ? Path.of(work) : context.getDataFile("").toPath()).resolve("retrieval").resolve("index");
        Files.createDirectories(folder);
        Directory opened = FSDirectory.open(folder);
        String format = LibraryIndex.formatOf(opened);
        if (format != null && !format.equals(LibraryIndex.FORMAT)) {
            LOG.warn("The expert library index in {} has format {}, not {}: it is rebuilt", folder, format, LibraryIndex.FORMAT);
            opened.close();
            deleteContents(folder);
            opened = FSDirectory.open(folder);
        }
        this.directory = opened;
        this.index = new LibraryIndex(directory);
    }

    @Reference(service = Expert.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(" + Expert.ACTIVE + "=true)")
    void bindExpert(Expert expert, Map<String, Object> properties) {
        String id = (String) properties.get(Expert.ID);
        String version = (String) properties.get(Expert.VERSION);
        synchronized (active) {
            active.put(id, version);
        }
        later(() -> put(expert, properties));
    }

    /**
     * Queues an index change. While the component stops, changes are dropped: the experts stay installed, and the
     * index, kept as it is, is reconciled with them at the next start.
     */
    private void later(Runnable change) {
        if (!indexer.isShutdown()) {
            try {
                indexer.execute(change);
            } catch (RejectedExecutionException stopping) {
                // shut down between the check and the call: as above
            }
        }
    }

    void updatedExpert(Expert expert, Map<String, Object> properties) {
        bindExpert(expert, properties);
    }

    void unbindExpert(Expert expert, Map<String, Object> properties) {
        String id = (String) properties.get(Expert.ID);
        String version = (String) properties.get(Expert.VERSION);
        synchronized (active) {
            // The next version is marked active before this one is cleared: only this version's own entry goes.
            if (!version.equals(active.get(id))) {
                return;
            }
            active.remove(id);
        }
        later(() -> {
            synchronized (active) {
                if (active.containsKey(id)) {
                    return; // a version came back meanwhile; its put follows
                }
            }
            try {
                index.remove(id);
            } catch (IOException e) {
                LOG.error("Could not take expert {} out of the library index: {}", id, e.toString());
            }
        });
    }

    /** Takes out what the index holds of experts no longer installed (the binds came before this). */
    @Activate
    void activate() {
        later(() -> {
            try {
                for (String id : index.experts().keySet()) {
                    boolean installed;
                    synchronized (active) {
                        installed = active.containsKey(id);
                    }
                    if (!installed) {
                        index.remove(id);
                    }
                }
            } catch (IOException e) {
                LOG.error("Could not reconcile the library index with the installed experts: {}", e.toString());
            }
        });
    }

    @Deactivate
    void deactivate() throws IOException, InterruptedException {
        indexer.shutdown();
        indexer.awaitTermination(30, TimeUnit.SECONDS);
        index.close();
        directory.close();
    }

    private void put(Expert expert, Map<String, Object> properties) {
        String id = (String) properties.get(Expert.ID);
        String version = (String) properties.get(Expert.VERSION);
        synchronized (active) {
            if (!version.equals(active.get(id))) {
                return; // superseded before its turn came
            }
        }
        try {
            if (version.equals(index.versionOf(id))) {
                return; // indexed at an earlier start
            }
            ExpertLibrary library = expert.library();
            List<LibraryIndex.Entry> entries = new ArrayList<>();
            for (int i = 0; i < library.instances().size(); i++) {
                TaskExample e = library.instances().get(i);
                entries.add(new LibraryIndex.Entry(e.task(), ExpertLibrary.labelInstanceText(e.input(), e.choices()),
                        library.vectors().get(i)));
            }
            index.put(id, version, String.valueOf(properties.get(Expert.CLUSTER)), String.valueOf(properties.get(Expert.KIND)),
                    entries);
            LOG.info("Expert {}@{}: {} library instances indexed", id, version, entries.size());
        } catch (IOException | RuntimeException e) {
            LOG.error("Could not index the library of expert {}@{}: {}", id, version, e.toString());
        }
    }

    @Override
    public Retrieval retrieve(List<Instance> instances, int k, Mode mode) {
        if (instances.isEmpty()) {
            throw new IllegalArgumentException("no instances to retrieve with; give at least one unlabeled instance of the task");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k = " + k + ": each instance must retrieve at least one library instance");
        }
        try {
            int size = index.size();
            if (size == 0) {
                throw new IllegalStateException("the expert library is empty: no expert is installed (see elm:list)");
            }
            List<String> texts = instances.stream().map(i -> ExpertLibrary.labelInstanceText(i.input(), i.choices())).toList();
            List<List<LibraryIndex.Hit>> hits = new ArrayList<>();
            List<float[]> vectors = mode == Mode.BM25 ? List.of() : encoder.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                hits.add(switch (mode) {
                    case DENSE -> index.dense(vectors.get(i), k);
                    case BM25 -> index.bm25(texts.get(i), k);
                    // Each list deeper than k, so that an instance ranked a little lower by both can win.
                    case HYBRID -> RankFusion.fuse(List.of(index.dense(vectors.get(i), HYBRID_DEPTH * k),
                            index.bm25(texts.get(i), HYBRID_DEPTH * k)), k);
                });
            }
            List<Choice> experts = new ArrayList<>();
            for (RoeVote.Vote v : RoeVote.rank(hits)) {
                List<Neighbour> nearest = v.nearest().stream().limit(NEAREST_SHOWN)
                        .map(h -> new Neighbour(h.template(), h.text(), h.score())).toList();
                experts.add(new Choice(v.expertId(), v.version(), v.votes(), v.meanScore(), nearest));
            }
            return new Retrieval(mode, instances.size(), k, experts, size, mode == Mode.BM25 ? "" : encoder.modelId());
        } catch (IOException e) {
            throw new UncheckedIOException("the expert library index could not be searched: " + e.getMessage(), e);
        }
    }

    private static void deleteContents(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
