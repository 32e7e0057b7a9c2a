package org.expertlm.retrieval.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.ExpertPackager;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.Retriever;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.TaskExample;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Expert Library as a service: it follows the active version of every installed expert (the registry's
 * {@code expert.active=true} services), indexing its library instances in Lucene under {@code
 * work/retrieval/index}, and answers retrievals by the RoE vote. Index changes run on one thread, in the order
 * the services change; an index of another format is deleted and rebuilt, and at activation the experts no
 * longer installed are taken out, so that the index never disagrees with the registry for long. The vectors of
 * the instance and choice_instance formats are computed, on the same thread, when a retrieval first asks for
 * them, and kept in the index. The retrieval defaults are Config Admin properties of {@link Retriever#PID}.
 */
@Component(service = Retriever.class, immediate = true, configurationPid = Retriever.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class ExpertLibraryService implements Retriever {

    /** The retrieval defaults (Config Admin, {@link Retriever#PID}); a value that is not valid is logged and the paper's kept. */
    public @interface Config {
        /** Instances that vote, at task granularity. */
        int q() default 32;

        /** Library instances each instance retrieves. */
        int k() default 1;

        /** dense, bm25 or hybrid. */
        String mode() default "dense";

        /** instance, label_instance or choice_instance. */
        String format() default "label_instance";

        /** task or instance. */
        String granularity() default "task";

        /** Experts whose answers are mixed (1: the chosen expert alone). */
        int mixture() default 1;

        /** Library instances searched per expert, its first ones (the paper's S). */
        int librarySize() default ExpertPackager.LIBRARY_SIZE;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ExpertLibraryService.class);
    /** Library instances shown per chosen expert as the explanation. */
    private static final int NEAREST_SHOWN = 3;
    /** How much deeper than k each list of a hybrid search goes before the fusion. */
    private static final int HYBRID_DEPTH = 10;
    /** The longest a retrieval waits for the registry to take up jars just dropped in (or all of them at a start). */
    private static final Duration REGISTRY_WAIT = Duration.ofSeconds(120);

    private final SentenceEncoder encoder;
    private final Directory directory;
    private final LibraryIndex index;
    private final ThreadPoolExecutor indexer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
            r -> new Thread(r, "elm-library-index"));
    /** The version of each expert id the registry has active now; guarded by itself. */
    private final Map<String, String> active = new HashMap<>();
    private volatile Settings settings = Settings.DEFAULT;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ExpertRegistry registry;

    @Activate
    public ExpertLibraryService(@Reference SentenceEncoder encoder, BundleContext context) throws IOException {
        this.encoder = encoder;
        String work = context.getProperty(ContainerProperties.WORK_DIR);
        Path folder = (work != null ? Path.of(work) : context.getDataFile("").toPath()).resolve("retrieval").resolve("index");
        Directory opened = openTrusted(folder, encoder.modelId());
        LibraryIndex made;
        try {
            made = new LibraryIndex(opened, encoder.modelId());
        } catch (CorruptIndexException | IndexFormatTooOldException | IndexFormatTooNewException e) {
            LOG.warn("The expert library index in {} cannot be opened for writing ({}): it is rebuilt", folder, e.toString());
            opened.close();
            deleteContents(folder);
            opened = FSDirectory.open(folder);
            made = new LibraryIndex(opened, encoder.modelId());
        }
        this.directory = opened;
        this.index = made;
    }

    /**
     * The index folder, holding an index of {@link LibraryIndex#FORMAT} with {@code encoder}'s vectors, or none: a
     * foreign index (another format or encoder, or none recorded) or a corrupt one is deleted, to be rebuilt from the
     * installed experts, never trusted. Other failures (a lock another process holds, a full disk) are thrown: the
     * index is left as it is.
     */
    static Directory openTrusted(Path folder, String encoder) throws IOException {
        Files.createDirectories(folder);
        Directory opened = FSDirectory.open(folder);
        String why;
        try {
            if (!DirectoryReader.indexExists(opened)) {
                return opened;
            }
            String format = LibraryIndex.formatOf(opened);
            String vectors = LibraryIndex.encoderOf(opened);
            if (LibraryIndex.FORMAT.equals(format) && encoder.equals(vectors)) {
                return opened;
            }
            why = !LibraryIndex.FORMAT.equals(format)
                    ? (format == null ? "it records no format" : "its format is " + format + ", not " + LibraryIndex.FORMAT)
                    : "its vectors are of the encoder " + vectors + ", not of " + encoder;
        } catch (CorruptIndexException | IndexFormatTooOldException | IndexFormatTooNewException e) {
            why = "it cannot be read (" + e + ")";
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        LOG.warn("The expert library index in {} is rebuilt from the installed experts: {}", folder, why);
        opened.close();
        deleteContents(folder);
        return FSDirectory.open(folder);
    }

    /**
     * The active version of every expert but the multitask baseline, which retrieval is compared with, not one of, and
     * the composer's composites, which have no library of their own (retrieval finds their members).
     */
    @Reference(service = Expert.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            target = "(&(" + Expert.ACTIVE + "=true)(!(" + Expert.KIND + "=multitask))(!(" + Expert.KIND + "=composite)))")
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
                indexer.execute(() -> {
                    change.run();
                    compactWhenIdle();
                });
            } catch (RejectedExecutionException stopping) {
                // shut down between the check and the call: as above
            }
        }
    }

    /**
     * Once no change waits, merges the index into as few segments as it can be ({@link LibraryIndex#compact}): each
     * expert arrives as a small segment of its own, and a dense search walks every segment's graph (bench/retrieval:
     * 53 ms for 32 queries over 21 segments of 30k vectors, 13 ms over one). It runs on the indexing thread, so a
     * change queued meanwhile waits for it.
     */
    private void compactWhenIdle() {
        try {
            if (indexer.getQueue().isEmpty() && index.compactable()) {
                long start = System.nanoTime();
                index.compact();
                LOG.info("Library index compacted to {} segment(s) in {} ms", index.segments(),
                        (System.nanoTime() - start) / 1_000_000);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not compact the library index (searches stay correct, a little slower): {}", e.toString());
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
    void activate(Config config) {
        modified(config);
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

    @Modified
    void modified(Config config) {
        Settings d = Settings.DEFAULT;
        settings = new Settings(
                valid("q", config.q(), d.q(), () -> d.withQ(config.q()).q()),
                valid("k", config.k(), d.k(), () -> d.withK(config.k()).k()),
                valid("mode", config.mode(), d.mode(), () -> Settings.mode(config.mode())),
                valid("format", config.format(), d.format(), () -> Settings.format(config.format())),
                valid("granularity", config.granularity(), d.granularity(), () -> Settings.granularity(config.granularity())),
                valid("mixture", config.mixture(), d.mixture(), () -> d.withMixture(config.mixture()).mixture()),
                valid("librarySize", config.librarySize(), d.librarySize(), () -> d.withLibrarySize(config.librarySize()).librarySize()));
        LOG.info("Retrieval defaults: {}", settings);
    }

    private static <T> T valid(String name, Object given, T fallback, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            LOG.error("{} {} = {} is not valid ({}); the default {} is kept", Retriever.PID, name, given, e.getMessage(), fallback);
            return fallback;
        }
    }

    @Override
    public Settings settings() {
        return settings;
    }

    @Deactivate
    void deactivate() throws IOException, InterruptedException {
        indexer.shutdown();
        if (!indexer.awaitTermination(30, TimeUnit.SECONDS)) {
            // A format's vectors being computed: interrupted, its expert keeps what it had (each change is atomic).
            LOG.warn("The library index's work did not end within 30 s; it is interrupted");
            indexer.shutdownNow();
            indexer.awaitTermination(30, TimeUnit.SECONDS);
        }
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
                entries.add(new LibraryIndex.Entry(e.task(), e.input(), e.choices(), library.vectors().get(i)));
            }
            index.put(id, version, String.valueOf(properties.get(Expert.CLUSTER)), String.valueOf(properties.get(Expert.KIND)),
                    entries);
            LOG.info("Expert {}@{}: {} library instances indexed", id, version, entries.size());
        } catch (IOException | RuntimeException e) {
            LOG.error("Could not index the library of expert {}@{}: {}", id, version, e.toString());
            // An earlier version's library must not stand for this one: the expert is left out of retrieval instead.
            try {
                if (index.versionOf(id) != null) {
                    index.remove(id);
                    LOG.error("Expert {}: the library of its earlier version taken out of the index", id);
                }
            } catch (IOException | RuntimeException again) {
                LOG.error("Could not take expert {} out of the index: {}", id, again.toString());
            }
        }
    }

    @Override
    public Retrieval retrieve(List<Instance> instances, Settings how, Consumer<String> progress) {
        if (instances.isEmpty()) {
            throw new IllegalArgumentException("no instances to retrieve with; give at least one unlabeled instance of the task");
        }
        try {
            // The jars the registry is still taking up (every one while the container starts) are waited for, and the
            // index changes queued before this retrieval are in it before it searches: a retrieval sees the whole library.
            awaitRegistry(progress);
            awaitQueuedIndexChanges(progress);
            int size = index.size();
            if (size == 0) {
                throw new IllegalStateException("the expert library is empty: no expert is installed (see elm:list)");
            }
            boolean dense = how.mode() != Mode.BM25;
            if (dense) {
                vectorsOf(how.format(), progress);
            }
            List<Instance> voters = how.granularity() == Granularity.TASK
                    ? instances.subList(0, Math.min(how.q(), instances.size())) : instances;
            List<String> texts = voters.stream().map(i -> how.format().text(i.input(), i.choices())).toList();
            List<float[]> vectors = dense ? encoder.embed(texts) : List.of();
            int k = how.k();
            // A library size of what a bundle carries, or more, is every instance: no filter to apply.
            int s = how.librarySize() >= ExpertPackager.LIBRARY_SIZE ? Integer.MAX_VALUE : how.librarySize();
            List<List<LibraryIndex.Hit>> hits = switch (how.mode()) {
                case DENSE -> index.dense(vectors, k, how.format(), s);
                case BM25 -> index.bm25(texts, k, how.format(), s);
                // Each list deeper than k, so that an instance ranked a little lower by both can win.
                case HYBRID -> {
                    List<List<LibraryIndex.Hit>> near = index.dense(vectors, HYBRID_DEPTH * k, how.format(), s);
                    List<List<LibraryIndex.Hit>> words = index.bm25(texts, HYBRID_DEPTH * k, how.format(), s);
                    List<List<LibraryIndex.Hit>> fused = new ArrayList<>();
                    for (int i = 0; i < texts.size(); i++) {
                        fused.add(RankFusion.fuse(List.of(near.get(i), words.get(i)), k));
                    }
                    yield fused;
                }
            };
            List<List<Choice>> routes = how.granularity() == Granularity.TASK ? List.of()
                    : hits.stream().map(h -> choices(List.of(h))).toList();
            return new Retrieval(how.mode(), voters.size(), how.k(), choices(hits), size, dense ? encoder.modelId() : "",
                    how.format(), how.granularity(), routes);
        } catch (IOException e) {
            throw new UncheckedIOException("the expert library index could not be searched: " + e.getMessage(), e);
        }
    }

    private void awaitRegistry(Consumer<String> progress) {
        ExpertRegistry r = registry;
        long deadline = System.nanoTime() + REGISTRY_WAIT.toNanos();
        if (r != null && !r.pending().isEmpty()) {
            progress.accept("waiting for the registry to take up " + r.pending().size() + " expert jar(s) of the deploy folder");
        }
        try {
            while (r != null && !r.pending().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the registry to take up the deploy folder's experts");
        }
        if (r != null && !r.pending().isEmpty()) {
            LOG.warn("Retrieving while the registry has not yet taken up {}: they are not in this retrieval's library",
                    r.pending());
        }
    }

    /** Waits for the index changes queued before now (experts just installed or removed) to be in the index. */
    private void awaitQueuedIndexChanges(Consumer<String> progress) throws IOException {
        onIndexer(() -> null, "waiting for the index changes queued before this retrieval", new LinkedBlockingQueue<>(),
                progress);
    }

    private static List<Choice> choices(List<List<LibraryIndex.Hit>> hits) {
        List<Choice> experts = new ArrayList<>();
        for (RoeVote.Vote v : RoeVote.rank(hits)) {
            List<Neighbour> nearest = v.nearest().stream().limit(NEAREST_SHOWN)
                    .map(h -> new Neighbour(h.template(), h.text(), h.score())).toList();
            experts.add(new Choice(v.expertId(), v.version(), v.votes(), v.meanScore(), nearest));
        }
        return experts;
    }

    /**
     * Makes sure every indexed expert has its vectors in {@code format}: computed on the indexer thread (so that no
     * expert changes meanwhile) the first time a retrieval asks for them, then kept in the index.
     */
    private void vectorsOf(Format format, Consumer<String> progress) throws IOException {
        if (index.lacking(format).isEmpty()) {
            return;
        }
        // Lines are queued by the indexer thread and passed on by this one: a command's streams belong to its thread.
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        onIndexer(() -> {
            Set<String> lacking = index.lacking(format);
            int done = 0;
            for (String id : lacking) {
                long start = System.nanoTime();
                List<String> texts = index.texts(id, format);
                try {
                    index.vectorise(id, format, encoder.embed(texts));
                } catch (IllegalArgumentException e) {
                    // One expert's texts the encoder cannot embed leave that expert out of this format, not every one.
                    LOG.error("Expert {}: its library is not searched in the {} format: {}", id, format.key(),
                            e.getMessage());
                    lines.add(String.format("expert %s left out of the %s format: %s", id, format.key(),
                            e.getMessage()));
                    continue;
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                LOG.info("Expert {}: {} library instances embedded in the {} format in {} ms", id, texts.size(), format.key(), ms);
                lines.add(String.format("the library in the %s format, embedded once and kept: %d/%d experts (%s, %d ms)",
                        format.key(), ++done, lacking.size(), id, ms));
            }
            return null;
        }, "computing the library's " + format.key() + " vectors", lines, progress);
    }

    /**
     * Runs {@code work} on the indexer thread, after the index changes queued before it, and waits for it, passing the
     * lines it queues to {@code progress} meanwhile.
     */
    private void onIndexer(Callable<Void> work, String what, BlockingQueue<String> lines, Consumer<String> progress)
            throws IOException {
        try {
            Future<Void> done = indexer.submit(work);
            while (!done.isDone()) {
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line != null) {
                    progress.accept(line);
                }
            }
            for (String line; (line = lines.poll()) != null;) {
                progress.accept(line);
            }
            done.get();
            // A change whose compaction this work kept from running (it saw this work queued) gets it now.
            later(() -> { });
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the retriever is stopping; retry once it is active again (see elm:status)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
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
