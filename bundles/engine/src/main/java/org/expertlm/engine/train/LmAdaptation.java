package org.expertlm.engine.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.expertlm.engine.encoder.MiniLmEncoder;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.ClosingMemoryManager;
import org.expertlm.engine.graph.NativeMemory;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.lm.DecoderConfig;
import org.expertlm.engine.lm.DecoderGraphs;
import org.expertlm.engine.lm.DecoderLm;
import org.expertlm.engine.lm.OutputVocabulary;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.tokenize.WordPieceTokenizer;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * LM adaptation of the base model: the decoder learns, with the encoder frozen, to continue text.
 * Documents are cut into windows of {@code prefixTokens + targetTokens} pieces; the encoder reads the
 * prefix and the decoder is trained on the continuation (a prefix-LM objective), so that it learns
 * to use the encoder's states through cross-attention.
 *
 * <p>Everything is a function of the settings and the corpus: the vocabulary, the held-out windows
 * (one in a hundred, by hash), the order of the training windows (shuffled with the seed, then
 * sorted by length within groups of batches so that a batch wastes little on padding), and the
 * initial weights. A checkpoint ({@code checkpoints/} in the output folder, see {@link Checkpoints}) is
 * written every {@code checkpointEvery} steps; a run started again with the same settings and corpus
 * resumes from it and ends with the same weights as an uninterrupted run.
 */
public final class LmAdaptation {

    /**
     * The settings of a run, as a JSON file of training configuration holds them.
     *
     * @param name the base model's name (its id adds the weights' digest)
     * @param layers decoder blocks
     * @param heads attention heads
     * @param inner feed-forward width
     * @param vocabulary output vocabulary size (the most frequent pieces of the corpus, answer words forced in)
     * @param prefixTokens pieces the encoder reads
     * @param targetTokens pieces the decoder learns to continue with
     * @param batchSize windows per step
     * @param steps optimiser steps of the whole run
     * @param learningRate peak learning rate
     * @param warmupSteps linear warm-up steps
     * @param weightDecay AdamW's decoupled weight decay
     * @param clipNorm global gradient norm clip
     * @param seed of the initial weights, the shuffle and the held-out choice
     * @param checkpointEvery steps between checkpoints
     * @param progressEvery steps between progress lines
     * @param heldOutWindows held-out windows on which the loss is measured
     */
    public record Settings(String name, int layers, int heads, int inner, int vocabulary, int prefixTokens, int targetTokens,
            int batchSize, int steps, double learningRate, int warmupSteps, double weightDecay, double clipNorm, long seed,
            int checkpointEvery, int progressEvery, int heldOutWindows) {

        public Settings {
            if (name == null || !name.matches("[a-z0-9][a-z0-9.-]*")) {
                throw new IllegalArgumentException("name '" + name + "': expected lower-case letters, digits, '.' and '-'");
            }
            if (prefixTokens < 4 || targetTokens < 2 || batchSize < 1 || steps < 1 || checkpointEvery < 1 || progressEvery < 1
                    || heldOutWindows < 1) {
                throw new IllegalArgumentException("invalid training settings: " + this);
            }
        }

        /** Reads settings from a JSON file; unknown or missing fields are errors that name them. */
        public static Settings read(Path file) throws IOException {
            return TrainingRuntime.readSettings(file, Settings.class, "configs/train/base.json");
        }

        /** Reads settings from a configuration's JSON text; {@code source} names it in errors. */
        public static Settings read(String json, String source) throws IOException {
            return TrainingRuntime.readSettings(json, source, Settings.class, "configs/train/base.json");
        }
    }

    /**
     * What a run produced.
     *
     * @param model the base model as written
     * @param folder where it was written
     * @param targetTokens decoder target tokens seen in training
     * @param trainLoss mean loss of the last 100 steps
     * @param heldOutLoss mean per-token loss on the held-out windows
     * @param seconds wall time of this invocation's training (a resumed run counts only its own part)
     */
    public record Result(BaseModel model, Path folder, long targetTokens, double trainLoss, double heldOutLoss, double seconds) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The folder of a run's checkpoints, in its output folder (see {@link Checkpoints}). */
    static final String CHECKPOINTS = "checkpoints";
    /** The format of a base run's checkpoints; one of another format is refused, never resumed. */
    static final String CHECKPOINT_FORMAT = "elm-base-checkpoint/1";
    private static final int SORT_GROUP_BATCHES = 20;

    /** A window: the document, where it starts in the document's pieces, and how many pieces go to the target. */
    private record Window(int document, int start, int targetLength) {
    }

    private final Settings settings;
    private final MiniLmModel encoder;
    private final WordPieceTokenizer tokenizer;
    private final List<int[]> documents = new ArrayList<>();
    private final String corpusDigest;
    private final List<Window> training = new ArrayList<>();
    private final List<Window> heldOut = new ArrayList<>();
    private final OutputVocabulary vocabulary;
    private final int unknown;

    private LmAdaptation(Settings settings, MiniLmModel encoder, List<String> corpus, Collection<String> forcedWords) {
        this.settings = settings;
        this.encoder = encoder;
        this.tokenizer = encoder.tokenizer();
        MessageDigest digest = ModelFiles.sha256();
        for (String text : corpus) {
            digest.update(text.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            documents.add(tokenizer.pieces(text));
        }
        this.corpusDigest = ModelFiles.hex(digest);
        this.vocabulary = OutputVocabulary.fromPieces(documents, tokenizer, settings.vocabulary(), forcedWords);
        this.unknown = tokenizer.tokenId("[UNK]");
        int window = settings.prefixTokens() + settings.targetTokens();
        for (int d = 0; d < documents.size(); d++) {
            int length = documents.get(d).length;
            for (int start = 0; start + settings.prefixTokens() + 2 <= length; start += window) {
                Window w = new Window(d, start, Math.min(settings.targetTokens(), length - start - settings.prefixTokens()));
                (Math.floorMod(mix(settings.seed(), d, start), 100) == 0 ? heldOut : training).add(w);
            }
        }
        if (training.isEmpty() || heldOut.isEmpty()) {
            throw new IllegalArgumentException("the corpus gives " + training.size() + " training and " + heldOut.size()
                    + " held-out windows of " + window + " pieces; it is too small (fetch the data: ./elm data fetch)");
        }
    }

    /**
     * Trains (or resumes) the base model described by {@code settings} over the frozen {@code encoder}
     * on {@code corpus}, and writes it to {@code output}. {@code forcedWords} (every answer word of the
     * task catalog) are put into the output vocabulary whatever their frequency. When {@code cancelled}
     * turns true the run writes a checkpoint after its current step and stops
     * ({@link java.util.concurrent.CancellationException}); the same call resumes from there.
     */
    public static Result run(Settings settings, MiniLmModel encoder, SideBySide workers, List<String> corpus,
            Collection<String> forcedWords, Path output, Consumer<String> progress, BooleanSupplier cancelled) throws IOException {
        long start = System.nanoTime();
        LmAdaptation run = new LmAdaptation(settings, encoder, corpus, forcedWords);
        progress.accept(String.format("corpus: %d documents, %,d pieces, %,d training and %,d held-out windows; "
                + "output vocabulary %d pieces covering %.1f%% of the corpus (sha256 %s…)", corpus.size(),
                run.documents.stream().mapToLong(d -> d.length).sum(), run.training.size(), run.heldOut.size(),
                run.vocabulary.ids().length, 100 * run.vocabulary.coverage(), run.corpusDigest.substring(0, 16)));
        return run.train(workers, output, progress, cancelled, start);
    }

    private Result train(SideBySide workers, Path output, Consumer<String> progress, BooleanSupplier cancelled, long started)
            throws IOException {
        Files.createDirectories(output);
        DecoderConfig config = new DecoderConfig(settings.layers(), MiniLmEncoder.HIDDEN, settings.heads(), settings.inner(),
                settings.targetTokens() + 2, vocabulary.ids());
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.build(config, encoder.wordEmbeddings(), sd, Parameters.trainable(sd, settings.seed(),
                DataType.FLOAT), DataType.FLOAT);
        List<String> variables = AdamW.trainableVariables(sd);
        DecoderGraphs graphs = DecoderGraphs.of(lm, workers);
        AdamW optimiser = new AdamW(graphs.sameDiffs(), workers, variables, "loss", new AdamW.Config(settings.learningRate(), 0.9, 0.999, 1e-8,
                settings.weightDecay(), settings.warmupSteps(), settings.steps(), settings.clipNorm()));
        // The graph's weights and the optimiser's moments are freed when the run ends, not when a collection finds them.
        try {
            ObjectNode state = runState();
            Checkpoints checkpoints = new Checkpoints(output.resolve(CHECKPOINTS), CHECKPOINT_FORMAT, state.path("run"));
            Checkpoints.Saved saved = checkpoints.latest(optimiser);
            long savedTokens = 0;
            if (saved != null) {
                savedTokens = saved.state().path("targetTokens").asLong();
                progress.accept("resuming from step " + optimiser.stepsTaken() + " of " + settings.steps());
            }

            List<Window> order = order();
            int firstStep = optimiser.stepsTaken();
            double[] recent = new double[100];
            long tokens = savedTokens;
            long windowTokens = 0;
            long clock = System.nanoTime();
            double lossSum = 0;
            int lossCount = 0;
            while (optimiser.stepsTaken() < settings.steps()) {
                int step = optimiser.stepsTaken();
                List<Window> batch = new ArrayList<>(settings.batchSize());
                for (int k = 0; k < settings.batchSize(); k++) {
                    batch.add(order.get((int) (((long) step * settings.batchSize() + k) % order.size())));
                }
                List<Map<String, INDArray>> parts = placeholders(lm, batch, graphs.size());
                double loss = optimiser.step(parts);
                parts.forEach(p -> p.values().forEach(INDArray::close));
                NativeMemory.afterStep();
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("the loss became " + loss + " at step " + step
                            + "; lower the learning rate or raise the warm-up in the training configuration");
                }
                recent[step % recent.length] = loss;
                lossSum += loss;
                lossCount++;
                long batchTokens = batch.stream().mapToLong(w -> w.targetLength() + 1).sum();
                tokens += batchTokens;
                windowTokens += batchTokens;
                int done = step + 1;
                if (done % settings.progressEvery() == 0 || done == settings.steps()) {
                    double seconds = (System.nanoTime() - clock) / 1e9;
                    double rate = windowTokens / seconds;
                    double eta = (settings.steps() - done) * seconds / lossCount / 60;
                    progress.accept(String.format("step %d/%d  loss %.3f  %.0f target tokens/s  %,d tokens seen  "
                            + "lr %.2e  memory %d MB  about %.0f min left", done, settings.steps(),
                            lossSum / lossCount, rate, tokens, AdamW.learningRate(optimiser.config(), step),
                            NativeMemory.physicalMb(), eta));
                    clock = System.nanoTime();
                    windowTokens = 0;
                    lossSum = 0;
                    lossCount = 0;
                }
                boolean stop = cancelled.getAsBoolean();
                if ((stop || done % settings.checkpointEvery() == 0) && done < settings.steps()) {
                    ObjectNode position = JSON.createObjectNode().put("step", done).put("targetTokens", tokens);
                    checkpoints.save(optimiser, position, Map.of());
                }
                if (stop && done < settings.steps()) {
                    TrainingRuntime.stopIfCancelled(cancelled, done);
                }
            }
            // The last steps of this invocation: a resumed run has not seen the steps before it in this JVM.
            double trainLoss = 0;
            int n = Math.min(recent.length, settings.steps() - firstStep);
            for (int i = 0; i < n; i++) {
                trainLoss += recent[Math.floorMod(settings.steps() - 1 - i, recent.length)];
            }
            trainLoss /= Math.max(1, n);
            double heldOutLoss = heldOutLoss(lm);
            double seconds = (System.nanoTime() - started) / 1e9;
            progress.accept(String.format("held-out loss %.3f over %d windows (train loss of the last %d steps %.3f)",
                    heldOutLoss, Math.min(settings.heldOutWindows(), heldOut.size()), n, trainLoss));

            Map<String, FloatTensor> tensors = Parameters.snapshot(sd, variables);
            ObjectNode provenance = state.deepCopy();
            provenance.put("steps", settings.steps());
            provenance.put("targetTokens", tokens);
            provenance.put("trainLoss", trainLoss);
            provenance.put("heldOutLoss", heldOutLoss);
            provenance.put("heldOutWindows", Math.min(settings.heldOutWindows(), heldOut.size()));
            provenance.put("vocabularyCoverage", vocabulary.coverage());
            provenance.put("lastInvocationSeconds", Math.round(seconds));
            provenance.put("finished", Instant.now().toString());
            provenance.put("machine", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.arch")
                    + ", Java " + System.getProperty("java.version"));
            BaseModel model = BaseModel.write(output, settings.name(), encoder.id(), config, tensors, provenance);
            checkpoints.delete();
            return new Result(model, output, tokens, trainLoss, heldOutLoss, seconds);
        } finally {
            optimiser.close();
            lm.close();
        }
    }

    /** What identifies this run: settings, encoder and corpus. A checkpoint resumes only the same run. */
    private ObjectNode runState() {
        ObjectNode state = JSON.createObjectNode();
        ObjectNode run = state.putObject("run");
        run.set("settings", JSON.valueToTree(settings));
        run.put("encoder", encoder.id());
        run.put("corpusSha256", corpusDigest);
        run.put("corpusDocuments", documents.size());
        run.put("trainingWindows", training.size());
        return state;
    }

    /** The training windows in the order of the whole run: a seeded shuffle, sorted by length within groups of batches. */
    private List<Window> order() {
        List<Window> order = new ArrayList<>(training);
        java.util.Collections.shuffle(order, new Random(settings.seed()));
        int group = settings.batchSize() * SORT_GROUP_BATCHES;
        for (int from = 0; from < order.size(); from += group) {
            order.subList(from, Math.min(order.size(), from + group)).sort(Comparator.comparingInt(Window::targetLength));
        }
        return order;
    }

    /** The encoder's states of each window's prefix, and the decoder's rows over them, in {@code parts} parts (see {@link DecoderLm#lmParts}). */
    private List<Map<String, INDArray>> placeholders(DecoderLm lm, List<Window> batch, int parts) {
        List<int[]> prefixes = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        for (Window w : batch) {
            int[] pieces = documents.get(w.document());
            int[] prefix = new int[settings.prefixTokens() + 2];
            prefix[0] = tokenizer.clsId();
            System.arraycopy(pieces, w.start(), prefix, 1, settings.prefixTokens());
            prefix[prefix.length - 1] = tokenizer.sepId();
            prefixes.add(prefix);
            int[] target = new int[w.targetLength() + 1];
            for (int t = 0; t < w.targetLength(); t++) {
                int id = pieces[w.start() + settings.prefixTokens() + t];
                target[t] = lm.indexOf(id) >= 0 ? id : unknown;
            }
            target[target.length - 1] = tokenizer.sepId();
            targets.add(target);
        }
        // Both encoder workers at once: half the prefixes each.
        int half = (prefixes.size() + 1) / 2;
        List<float[][]> memories = new ArrayList<>();
        encoder.encoder().tokenStatesBatches(half == prefixes.size() ? List.of(prefixes)
                : List.of(prefixes.subList(0, half), prefixes.subList(half, prefixes.size())), MiniLmEncoder.LAYERS)
                .forEach(memories::addAll);
        return lm.lmParts(memories, targets, parts);
    }

    /** The mean per-token loss over the first {@code heldOutWindows} held-out windows. */
    private double heldOutLoss(DecoderLm lm) {
        double sum = 0;
        long count = 0;
        List<Window> windows = heldOut.subList(0, Math.min(settings.heldOutWindows(), heldOut.size()));
        for (int from = 0; from < windows.size(); from += settings.batchSize()) {
            List<Window> batch = windows.subList(from, Math.min(windows.size(), from + settings.batchSize()));
            long tokens = batch.stream().mapToLong(w -> w.targetLength() + 1).sum();
            Map<String, INDArray> placeholders = placeholders(lm, batch, 1).get(0);
            ClosingMemoryManager.installForThisThread(lm.graph());
            sum += lm.graph().output(placeholders, "loss").get("loss").getDouble(0) * tokens;
            placeholders.values().forEach(INDArray::close);
            count += tokens;
        }
        return sum / count;
    }

    private static long mix(long seed, int document, int start) {
        long h = seed * 0x9E3779B97F4A7C15L + document * 0xC2B2AE3D27D4EB4FL + start;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        return h ^ (h >>> 33);
    }
}
