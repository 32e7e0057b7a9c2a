package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.expertlm.api.AdapterTensors;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ScoringInput;
import org.expertlm.api.TaskExample;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.encoder.ProgressLines;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.tensor.SafeTensors;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A base model, or an expert over its base model, loaded into a graph of its own, ready to score
 * answer choices and to generate: the encoder's states of an input are computed once and shared by
 * every choice (and, through the encoder's cache, by every model taking over at the same depth). One
 * call at a time, whose batches run side by side on the engine's workers through the model's
 * {@link DirectScorer}; generation runs on the graph.
 */
public final class LoadedModel implements AutoCloseable {

    private final String name;
    private final MiniLmModel encoder;
    private final DecoderLm lm;
    private final DirectScorer scorer;
    private final SideBySide workers;
    private final int memoryLayers;
    private final long bytes;
    private boolean closed;

    private LoadedModel(String name, MiniLmModel encoder, DecoderLm lm, int memoryLayers, SideBySide workers) {
        this.name = name;
        this.encoder = encoder;
        this.lm = lm;
        try {
            this.scorer = DirectScorer.of(lm);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        this.workers = workers;
        this.memoryLayers = memoryLayers;
        this.bytes = lm.bytes() + scorer.bytes();
    }

    /** Loads a base model, to score on {@code workers}. */
    public static LoadedModel base(BaseModel base, MiniLmModel encoder, SideBySide workers) {
        checkEncoder(base, encoder);
        SameDiff sd = SameDiff.create();
        return new LoadedModel(base.id(), encoder, DecoderLm.build(base.config(), encoder.wordEmbeddings(), sd,
                Parameters.frozen(sd, base.tensors(), DataType.FLOAT), DataType.FLOAT), DecoderLm.memoryLayers(null), workers);
    }

    /**
     * Loads an expert over its base model, to score on {@code workers}.
     *
     * @throws IllegalArgumentException when the expert adapts another base model, or its tensors are not
     *     the ones its adapter configuration makes (names and shapes)
     */
    public static LoadedModel expert(BaseModel base, ExpertDescriptor expert, AdapterTensors tensors, MiniLmModel encoder,
            SideBySide workers) {
        checkEncoder(base, encoder);
        if (!expert.base().equals(base.ref())) {
            throw new IllegalArgumentException("expert " + expert.name() + " adapts base model " + expert.base().id()
                    + " (sha256 " + expert.base().sha256() + "), not " + base.id() + " (sha256 " + base.sha256()
                    + "); install the base model it was trained on, or train the expert again on this one");
        }
        AdapterPlan plan = expert.adapter() == null ? null : AdapterPlan.of(expert.adapter());
        SameDiff sd = SameDiff.create();
        DecoderLm lm = plan == null ? DecoderLm.fineTuning(base, encoder.weights(), sd, DataType.FLOAT)
                : DecoderLm.withAdapters(base, encoder.weights(), sd, plan, DataType.FLOAT);
        try {
            lm.load(SafeTensors.fromApi(LoraUpdates.pairs(tensors, expert.adapter())).tensors());
        } catch (IllegalArgumentException e) {
            lm.close();
            throw new IllegalArgumentException("expert " + expert.name() + ": " + e.getMessage(), e);
        }
        return new LoadedModel(expert.name(), encoder, lm, DecoderLm.memoryLayers(plan), workers);
    }

    /** The names and shapes of the tensors an expert of this kind loads over {@code base}. */
    public static Map<String, long[]> trainableShapes(BaseModel base, ExpertDescriptor expert, MiniLmModel encoder) {
        AdapterPlan plan = expert.adapter() == null ? null : AdapterPlan.of(expert.adapter());
        SameDiff sd = SameDiff.create();
        DecoderLm lm = plan == null ? DecoderLm.fineTuning(base, encoder.weights(), sd, DataType.FLOAT)
                : DecoderLm.withAdapters(base, encoder.weights(), sd, plan, DataType.FLOAT);
        try {
            return lm.trainableShapes();
        } finally {
            lm.close();
        }
    }

    /** The adapter tensors an expert of this plan starts from before training (its graph's seeded initial values). */
    public static AdapterTensors initialTensors(BaseModel base, ExpertDescriptor expert, MiniLmModel encoder) {
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd, AdapterPlan.of(expert.adapter()), DataType.FLOAT);
        try {
            AdapterTensors.Builder initial = AdapterTensors.builder();
            lm.trainableShapes().forEach((name, shape) -> initial.put(name, shape, lm.weight(name).dup('c').data().asFloat()));
            return initial.build();
        } finally {
            lm.close();
        }
    }

    private static void checkEncoder(BaseModel base, MiniLmModel encoder) {
        if (!base.encoderId().equals(encoder.id())) {
            throw new IllegalArgumentException("base model " + base.id() + " was trained over encoder " + base.encoderId()
                    + ", not " + encoder.id() + "; train it again over the installed encoder");
        }
    }

    /** A base model's id, or an expert's id@version. */
    public String name() {
        return name;
    }

    /** The bytes the model's weights take (its graph's and its scorer's). */
    public long bytes() {
        return bytes;
    }

    /** Each input's choices' summed log-probabilities (the paper's rule), optionally divided by their lengths. */
    public synchronized List<double[]> score(List<ScoringInput> inputs, boolean lengthNormalised) {
        open();
        List<String> texts = inputs.stream().map(ScoringInput::input).toList();
        List<List<String>> choices = inputs.stream().map(ScoringInput::choices).toList();
        return RankClassifier.scores(scorer, workers, RankClassifier.encode(encoder, lm, memoryLayers, texts, choices, null),
                lengthNormalised);
    }

    /** Rank-classification accuracy on classification examples (the target must be one of the choices). */
    public double accuracy(List<TaskExample> examples) {
        return accuracy(examples, line -> { });
    }

    /**
     * As {@link #accuracy(List)}, with progress lines (encoding the inputs, then scoring them: how far, the
     * rate and the time left, every few seconds).
     */
    public synchronized double accuracy(List<TaskExample> examples, Consumer<String> progress) {
        open();
        List<String> texts = new ArrayList<>();
        List<List<String>> choices = new ArrayList<>();
        int[] gold = new int[examples.size()];
        for (int i = 0; i < examples.size(); i++) {
            TaskExample e = examples.get(i);
            gold[i] = e.choices().indexOf(e.target());
            if (e.choices().size() < 2 || gold[i] < 0) {
                throw new IllegalArgumentException("example " + e.task() + "#" + e.id() + " has no choices with its target "
                        + "among them; accuracy is measured on classification examples");
            }
            texts.add(e.input());
            choices.add(e.choices());
        }
        long start = System.nanoTime();
        progress.accept(String.format("%s: encoding %d inputs", name, examples.size()));
        List<RankClassifier.Encoded> encoded = RankClassifier.encode(encoder, lm, memoryLayers, texts, choices, gold,
                ProgressLines.of(name + ": encoding", texts.size(), progress, () -> { }));
        long scoring = System.nanoTime();
        progress.accept(String.format("%s: encoded in %.1f s; scoring their choices", name, (scoring - start) / 1e9));
        return RankClassifier.accuracy(scorer, workers, encoded,
                ProgressLines.of(name + ": scoring", examples.size(), progress, () -> { }));
    }

    /** The continuation the decoder generates for the input: greedy when {@code beam} is 1, else beam search. */
    public synchronized String generate(String input, int beam, int maxTokens) {
        open();
        float[][] states = encoder.cachedTokenStates(List.of(input), memoryLayers).get(0);
        Generator generator = new Generator(lm, encoder.tokenizer().sepId());
        Generator.Hypothesis best = beam <= 1 ? generator.greedy(states, maxTokens) : generator.beam(states, beam, maxTokens).get(0);
        return encoder.tokenizer().decode(best.tokens());
    }

    /** Frees the model's weights; later calls are refused. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            scorer.close();
            lm.close();
        }
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("model " + name + " was closed (evicted from the engine's cache); open it again");
        }
    }
}
