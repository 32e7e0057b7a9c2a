package org.expertlm.engine.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

import org.expertlm.api.TextMetrics;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.encoder.ProgressLines;
import org.expertlm.engine.graph.NativeMemory;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.DecoderLm;
import org.expertlm.engine.lm.DirectScorer;
import org.expertlm.engine.lm.DirectTrainer;
import org.expertlm.engine.lm.Generator;
import org.expertlm.engine.lm.DecoderGraphs;
import org.expertlm.engine.lm.RankClassifier;
import org.expertlm.engine.lm.RankClassifier.Encoded;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Trains an expert: adapters over a frozen base model (or, for the full-decoder multitask baseline,
 * the decoder itself) on prompted examples. The encoder's states of every input are computed once,
 * kept in half precision and reused in every epoch. A classification batch holds inputs with the same number of choices;
 * its loss is the LM loss of the gold answer plus the rank-classification loss over the choices'
 * summed log-probabilities; a generation example's loss is its target's LM loss. After each epoch the
 * validation score is measured (rank-classification accuracy, or the mean ROUGE-L of what a
 * generation expert writes); the best epoch's tensors are kept, and training stops after
 * {@code patience} epochs without improvement. Checkpoints let an interrupted run resume to the same result.
 */
public final class ExpertTraining {

    /**
     * A classification example: the prompted input, its choices and the index of the gold one.
     *
     * @param input the prompted input
     * @param choices the answer choices
     * @param gold the index of the right choice
     */
    public record Example(String input, List<String> choices, int gold) {

        public Example {
            choices = List.copyOf(choices);
            if (choices.isEmpty() || gold < 0 || gold >= choices.size()) {
                throw new IllegalArgumentException("an example with " + choices.size() + " choices and gold " + gold
                        + "; expected one target, or two or more choices and a gold index among them");
            }
        }

        /**
         * A generation example: its one "choice" is the target. Trained with the same loss (the rank
         * loss over a single choice is zero, so the LM loss of the target remains), validated by the
         * ROUGE-L of what the model generates.
         */
        public static Example generation(String input, String target) {
            return new Example(input, List.of(target), 0);
        }

        /** True for a generation example. */
        public boolean isGeneration() {
            return choices.size() == 1;
        }
    }

    /**
     * What training produced.
     *
     * @param tensors the trained tensors (the adapters, or the whole decoder for a full fine-tune) of the best epoch
     * @param validationScore the best epoch's validation score: rank-classification accuracy, or for
     *     generation the mean ROUGE-L of greedy outputs (see {@code metric})
     * @param bestEpoch the best epoch, from 1
     * @param steps optimiser steps taken
     * @param seconds wall time, the encoder's cached states included
     * @param history one line per epoch
     * @param metric {@value #ACCURACY} or {@value #ROUGE_L}
     * @param validationExamples the validation examples measured after each epoch
     */
    public record Result(Map<String, FloatTensor> tensors, double validationScore, int bestEpoch, int steps, double seconds,
            List<String> history, String metric, int validationExamples) {
    }

    /** The input length (encoder tokens) that batchSize counts in: longer inputs come fewer to a step. */
    static final int STEP_INPUT_LENGTH = RankClassifier.STEP_INPUT_LENGTH;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The validation metric of classification experts. */
    public static final String ACCURACY = "accuracy";
    /** The validation metric of generation experts. */
    public static final String ROUGE_L = "rougeL";
    /**
     * Validation examples a generation expert writes after each epoch: greedy decoding is one pass of the
     * graph per token (the adapted encoder layers included), about a second per example for long inputs.
     */
    static final int GENERATION_VALIDATION = 32;

    private ExpertTraining() {
    }

    /**
     * Trains on {@code train}, measuring {@code validation} after every epoch. Checkpoints go to
     * {@code checkpoints} every {@code checkpointEvery} steps and after every epoch; a run started again
     * with the same settings, base model and examples resumes from the latest one and ends as an
     * uninterrupted run would. Each step is cut into a part per worker of {@code workers}, computed side
     * by side (the same batch's gradients, within float rounding). The caller removes the checkpoints
     * ({@link #removeCheckpoints}) once the expert is kept.
     * When {@code cancelled} turns true the run writes a checkpoint after its current step and stops.
     *
     * @throws IOException when a checkpoint cannot be written or read, or belongs to another run
     * @throws java.util.concurrent.CancellationException when it was cancelled (the checkpoint stays)
     */
    public static Result train(ExpertSettings s, BaseModel base, MiniLmModel encoder, SideBySide workers, List<Example> train,
            List<Example> validation, Path checkpoints, Consumer<String> progress, BooleanSupplier cancelled) throws IOException {
        return train(s, base, encoder, workers, train, validation, null, checkpoints, progress, cancelled);
    }

    /**
     * {@link #train(ExpertSettings, BaseModel, MiniLmModel, SideBySide, List, List, Path, Consumer, BooleanSupplier)}
     * starting from the trainable tensors {@code from} (an expert trained further) instead of fresh ones; null for
     * fresh ones. They must be exactly the tensors the settings train, by name and shape.
     *
     * @throws IllegalArgumentException when {@code from} lacks one of them, has another, or has another shape
     */
    public static Result train(ExpertSettings s, BaseModel base, MiniLmModel encoder, SideBySide workers, List<Example> train,
            List<Example> validation, Map<String, FloatTensor> from, Path checkpoints, Consumer<String> progress,
            BooleanSupplier cancelled) throws IOException {
        if (train.isEmpty() || validation.isEmpty()) {
            throw new IllegalArgumentException(train.size() + " training and " + validation.size()
                    + " validation examples; an expert needs both");
        }
        return run(s, base, encoder, workers, train.subList(0, Math.min(s.maxTrainExamples(), train.size())), validation,
                from, checkpoints, progress, cancelled);
    }

    /** Deletes the checkpoints of a training run. */
    public static void removeCheckpoints(Path checkpoints) throws IOException {
        ModelFiles.delete(checkpoints);
    }

    private static Result run(ExpertSettings s, BaseModel base, MiniLmModel encoder, SideBySide workers, List<Example> trainExamples,
            List<Example> validationExamples, Map<String, FloatTensor> from, Path checkpoints, Consumer<String> progress,
            BooleanSupplier cancelled) throws IOException {
        long started = System.nanoTime();
        boolean generation = trainExamples.get(0).isGeneration();
        if (Stream.concat(trainExamples.stream(), validationExamples.stream()).anyMatch(e -> e.isGeneration() != generation)) {
            throw new IllegalArgumentException("the examples mix generation targets and answer choices; an expert learns one "
                    + "or the other (train generation templates as Prompt Experts of their own)");
        }
        if (generation) {
            validationExamples = validationExamples.subList(0, Math.min(GENERATION_VALIDATION, validationExamples.size()));
        }
        String metric = generation ? ROUGE_L : ACCURACY;
        SameDiff sd = SameDiff.create();
        DecoderLm lm = s.fullDecoder() ? DecoderLm.fineTuning(base, encoder.weights(), sd, DataType.FLOAT)
                : DecoderLm.withAdapters(base, encoder.weights(), sd, s.plan(), DataType.FLOAT);
        // The graph's weights (and the optimiser's moments) are freed now, not when a collection finds them.
        try {
            int layers = DecoderLm.memoryLayers(s.plan());
            Runnable stopIfCancelled = () -> TrainingRuntime.stopBeforeStarting(cancelled);
            List<Encoded> train = encode(encoder, lm, layers, trainExamples,
                    ProgressLines.of("encoding the training inputs", trainExamples.size(), progress, stopIfCancelled));
            List<Encoded> validation = encode(encoder, lm, layers, validationExamples,
                    ProgressLines.of("encoding the validation inputs", validationExamples.size(), progress, stopIfCancelled));
            long cached = Stream.concat(train.stream(), validation.stream()).mapToLong(e -> e.states().bytes()).sum();
            progress.accept(String.format("encoded %d training and %d validation inputs once (%.0f s, states %d MB, memory %d MB)",
                    train.size(), validation.size(), (System.nanoTime() - started) / 1e9, cached >> 20, NativeMemory.physicalMb()));

            List<String> variables = AdamW.trainableVariables(sd);
            if (from != null) {
                startFrom(sd, variables, from);
            }
            // An expert's adapters train on the direct trainer (the graph stays its reference); a fine-tuned decoder, every
            // weight of it trainable, on the graph and its replicas.
            DirectTrainer direct = s.fullDecoder() ? null : DirectTrainer.of(lm);
            DecoderGraphs graphs = direct == null ? DecoderGraphs.of(lm, workers) : DecoderGraphs.alone(lm, workers);
            int stepsPerEpoch = batches(train, s, 0).size();
            // A generation target is trained on the LM loss alone: the rank loss over one choice is zero, and ND4J
            // M2.1 fails on its softmax over a dimension of length 1.
            String loss = generation ? "loss" : "lm_rank_loss";
            AdamW.Config adamW = new AdamW.Config(s.learningRate(), 0.9, 0.999, 1e-8, s.weightDecay(),
                    Math.min(s.warmupSteps(), stepsPerEpoch * s.epochs()), stepsPerEpoch * s.epochs(), s.clipNorm());
            try (direct; AdamW optimiser = direct == null ? new AdamW(graphs.sameDiffs(), workers, variables, loss, adamW)
                    : new AdamW(sd, direct, workers, variables, loss, adamW)) {
                ObjectNode run = runDescription(s, base, encoder, trainExamples, validationExamples);
                if (from != null) {
                    run.put("fromSha256", digest(from));
                }
                Checkpoints saved = new Checkpoints(checkpoints, ExpertCheckpoint.FORMAT, run);
                ExpertCheckpoint state = ExpertCheckpoint.latest(saved, optimiser);
                if (state == null) {
                    state = new ExpertCheckpoint();
                    state.best = Parameters.snapshot(sd, variables);
                    state.bestAccuracy = validate(graphs, encoder, validation, validationExamples, generation, cancelled);
                    state.history.add(String.format("epoch 0 (%s)  validation %s %.4f", from == null ? "untrained"
                            : "as started from", metric, state.bestAccuracy));
                    progress.accept(state.history.get(0) + "  memory " + NativeMemory.physicalMb() + " MB");
                } else {
                    progress.accept(state.finished ? "resuming a run whose training had ended (best epoch " + state.bestEpoch + ")"
                            : String.format("resuming from step %d (epoch %d, batch %d)", optimiser.stepsTaken(), state.epoch, state.batch));
                }
                while (!state.finished) {
                    List<List<Encoded>> batches = batches(train, s, state.epoch);
                    long epochClock = System.nanoTime();
                    long clock = epochClock;
                    long tokens = 0;
                    int stepsSinceLine = 0;
                    while (state.batch < batches.size()) {
                        List<Encoded> batch = batches.get(state.batch);
                        // The step's parts run side by side, one per worker; their gradients add up to the batch's.
                        List<Map<String, INDArray>> parts = generation
                                ? lm.lmParts(RankClassifier.states(batch), batch.stream().map(e -> e.choices().get(0)).toList(),
                                        workers.threads())
                                : lm.classificationParts(RankClassifier.states(batch), batch.stream().map(Encoded::choices).toList(),
                                        batch.stream().mapToInt(Encoded::gold).toArray(), workers.threads());
                        state.lossSum += optimiser.step(parts);
                        parts.forEach(p -> p.values().forEach(INDArray::close));
                        NativeMemory.afterStep();
                        state.batch++;
                        tokens += tokens(batch);
                        stepsSinceLine++;
                        boolean stop = cancelled.getAsBoolean();
                        if (stop && state.batch < batches.size()) {
                            state.save(saved, optimiser, state.seconds + (System.nanoTime() - started) / 1e9);
                            TrainingRuntime.stopIfCancelled(cancelled, optimiser.stepsTaken());
                        }
                        if (optimiser.stepsTaken() % s.checkpointEvery() == 0 && state.batch < batches.size()) {
                            state.save(saved, optimiser, state.seconds + (System.nanoTime() - started) / 1e9);
                            double seconds = (System.nanoTime() - clock) / 1e9;
                            progress.accept(String.format("epoch %d/%d  step %d/%d  loss %.4f  %.0f tokens/s  memory %d MB  "
                                    + "about %.1f min left in the epoch", state.epoch, s.epochs(), state.batch, batches.size(),
                                    state.lossSum / state.batch, tokens / seconds, NativeMemory.physicalMb(),
                                    seconds / stepsSinceLine * (batches.size() - state.batch) / 60));
                            clock = System.nanoTime();
                            tokens = 0;
                            stepsSinceLine = 0;
                        }
                    }
                    double accuracy = validate(graphs, encoder, validation, validationExamples, generation, cancelled);
                    String line = String.format("epoch %d/%d  loss %.4f  validation %s %.4f  %.1f s  memory %d MB", state.epoch,
                            s.epochs(), state.lossSum / batches.size(), metric, accuracy, (System.nanoTime() - epochClock) / 1e9,
                            NativeMemory.physicalMb());
                    state.history.add(line);
                    progress.accept(line);
                    if (accuracy > state.bestAccuracy || state.bestEpoch == 0) {
                        state.bestAccuracy = accuracy;
                        state.bestEpoch = state.epoch;
                        state.best = Parameters.snapshot(sd, variables);
                    } else if (state.epoch - state.bestEpoch >= s.patience()) {
                        progress.accept("no better validation " + metric + " for " + s.patience() + " epochs: stopping, keeping epoch "
                                + state.bestEpoch);
                        state.finished = true;
                    }
                    state.finished |= state.epoch == s.epochs();
                    state.epoch++;
                    state.batch = 0;
                    state.lossSum = 0;
                    state.save(saved, optimiser, state.seconds + (System.nanoTime() - started) / 1e9);
                    if (!state.finished) {
                        TrainingRuntime.stopIfCancelled(cancelled, optimiser.stepsTaken());
                    }
                }
                return new Result(state.best, state.bestAccuracy, state.bestEpoch, optimiser.stepsTaken(),
                        state.seconds + (System.nanoTime() - started) / 1e9, List.copyOf(state.history), metric, validation.size());
            }
        } finally {
            lm.close();
        }
    }

    /** Puts {@code from}'s values into the trainable variables, which it must match one for one. */
    private static void startFrom(SameDiff sd, List<String> variables, Map<String, FloatTensor> from) {
        Set<String> extra = new TreeSet<>(from.keySet());
        extra.removeAll(variables);
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException("the tensors to start from have " + extra.size() + " the settings do not train ("
                    + String.join(", ", List.copyOf(extra).subList(0, Math.min(3, extra.size()))) + "); start from an expert "
                    + "with the same adapter places and sizes (the same houlsby, lora and encoderLayers settings)");
        }
        for (String name : variables) {
            FloatTensor t = from.get(name);
            INDArray variable = sd.getVariable(name).getArr();
            if (t == null || !Arrays.equals(t.shape(), variable.shape())) {
                throw new IllegalArgumentException("the tensors to start from " + (t == null ? "lack '" + name + "'"
                        : "have '" + name + "' of shape " + Arrays.toString(t.shape()) + ", not " + Arrays.toString(variable.shape()))
                        + "; start from an expert with the same adapter places and sizes (the same houlsby, lora and "
                        + "encoderLayers settings)");
            }
            variable.assign(Nd4j.create(t.values(), t.shape(), 'c').castTo(variable.dataType()));
        }
    }

    private static String digest(Map<String, FloatTensor> tensors) {
        MessageDigest digest = ModelFiles.sha256();
        for (Map.Entry<String, FloatTensor> e : new TreeMap<>(tensors).entrySet()) {
            digest.update((e.getKey() + Arrays.toString(e.getValue().shape())).getBytes(StandardCharsets.UTF_8));
            ByteBuffer bytes = ByteBuffer.allocate(4 * e.getValue().values().length);
            bytes.asFloatBuffer().put(e.getValue().values());
            digest.update(bytes);
        }
        return ModelFiles.hex(digest);
    }

    /** What a checkpoint must match to be resumed: the settings, the base model, the encoder and the examples. */
    private static ObjectNode runDescription(ExpertSettings s, BaseModel base, MiniLmModel encoder, List<Example> train,
            List<Example> validation) {
        ObjectNode run = JSON.createObjectNode();
        run.set("settings", JSON.valueToTree(s));
        run.put("base", base.id());
        run.put("encoder", encoder.id());
        run.put("trainSha256", digest(train));
        run.put("validationSha256", digest(validation));
        return run;
    }

    private static String digest(List<Example> examples) {
        MessageDigest digest = ModelFiles.sha256();
        for (Example e : examples) {
            digest.update((e.input() + "\u0000" + String.join("\u0001", e.choices()) + "\u0000" + e.gold() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return ModelFiles.hex(digest);
    }

    /** The tokens a step computes: its inputs' tokens through the adapted encoder layers and its choices' through the decoder. */
    private static long tokens(List<Encoded> batch) {
        return batch.stream().mapToLong(e -> e.tokens() + e.choices().stream().mapToLong(c -> c.length).sum()).sum();
    }

    /**
     * One epoch's batches: the examples shuffled with the seed and the epoch, grouped by their number
     * of choices, sorted by input length within groups of batches (little padding), and the batches
     * shuffled again so that lengths and choice counts mix over the epoch.
     */
    static List<List<Encoded>> batches(List<Encoded> examples, ExpertSettings s, int epoch) {
        Random random = new Random(s.seed() * 1_000_003L + epoch);
        List<Encoded> shuffled = new ArrayList<>(examples);
        Collections.shuffle(shuffled, random);
        Map<Integer, List<Encoded>> byChoices = new LinkedHashMap<>();
        shuffled.forEach(e -> byChoices.computeIfAbsent(e.choices().size(), k -> new ArrayList<>()).add(e));
        List<List<Encoded>> batches = new ArrayList<>();
        for (Map.Entry<Integer, List<Encoded>> same : byChoices.entrySet()) {
            // batchSize counts inputs of two choices: inputs with more choices come fewer to a batch, so
            // that a step's decoder rows (and its memory) stay the same.
            int inputs = Math.max(1, s.batchSize() * 2 / same.getKey());
            int group = inputs * 8;
            List<Encoded> all = same.getValue();
            for (int from = 0; from < all.size(); from += group) {
                List<Encoded> sorted = new ArrayList<>(all.subList(from, Math.min(all.size(), from + group)));
                sorted.sort(Comparator.comparingInt(Encoded::tokens));
                batches.addAll(RankClassifier.cut(sorted, Encoded::tokens, inputs, (long) s.batchSize() * STEP_INPUT_LENGTH));
            }
        }
        Collections.shuffle(batches, random);
        return batches;
    }

    /**
     * Examples with their inputs' encoder states up to {@code layers} (computed once, for every epoch) and
     * their choices; a generation target longer than the decoder's window keeps its first pieces.
     */
    private static List<Encoded> encode(MiniLmModel encoder, DecoderLm lm, int layers, List<Example> examples,
            IntConsumer progress) {
        List<float[][]> states = encoder.tokenStates(examples.stream().map(Example::input).toList(), layers, progress);
        List<Encoded> encoded = RankClassifier.encode(encoder.tokenizer(), lm, states,
                examples.stream().map(Example::choices).toList(), examples.stream().mapToInt(Example::gold).toArray());
        int window = lm.config().maxLength() - 1;
        List<Encoded> out = new ArrayList<>();
        for (int i = 0; i < encoded.size(); i++) {
            Encoded e = encoded.get(i);
            int[] target = e.choices().get(0);
            if (examples.get(i).isGeneration() && target.length > window) {
                int[] cut = Arrays.copyOf(target, window);
                cut[window - 1] = target[target.length - 1]; // the end token
                e = new Encoded(e.states(), List.of(cut), e.gold());
            }
            out.add(e);
        }
        return out;
    }

    /** The validation score: rank-classification accuracy, or the mean ROUGE-L of the greedy outputs of generation examples. */
    private static double validate(DecoderGraphs graphs, MiniLmModel encoder, List<Encoded> validation, List<Example> examples,
            boolean generation, BooleanSupplier cancelled) {
        DecoderLm lm = graphs.lm();
        if (!generation) {
            try (DirectScorer scorer = DirectScorer.of(lm)) { // over the weights as they are after this epoch
                return RankClassifier.accuracy(scorer, graphs.workers(), validation,
                        done -> TrainingRuntime.stopDuringValidation(cancelled));
            }
        }
        Generator generator = new Generator(lm, encoder.tokenizer().sepId());
        double sum = 0;
        for (int i = 0; i < validation.size(); i++) {
            int[] tokens = generator.greedy(validation.get(i).states().toFloats(), lm.config().maxLength() - 1).tokens();
            sum += TextMetrics.rougeL(encoder.tokenizer().decode(tokens), examples.get(i).choices().get(0));
            NativeMemory.afterStep();
            TrainingRuntime.stopDuringValidation(cancelled);
        }
        return sum / validation.size();
    }
}
