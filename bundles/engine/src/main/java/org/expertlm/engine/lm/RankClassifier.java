package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.ToIntFunction;

import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.NativeMemory;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.tensor.HalfMatrix;
import org.expertlm.engine.tokenize.WordPieceTokenizer;

/**
 * Rank classification, the paper's scoring rule: each answer choice is scored by the summed
 * log-probability of its tokens given the input, and the best one wins. Inputs are scored in batches
 * of the same number of choices, each input's encoder states computed once for all its choices.
 */
public final class RankClassifier {

    /**
     * An input as the decoder sees it: the encoder's states up to where the model's own layers take over
     * (in half precision: a training run caches thousands), its choices as output pieces, and the gold
     * choice's index (-1 when unknown).
     */
    public record Encoded(HalfMatrix states, List<int[]> choices, int gold) {

        /** The input's length in encoder tokens. */
        public int tokens() {
            return states.rows();
        }
    }

    /** The input length (encoder tokens) that a batch of inputs is counted in: longer inputs come fewer to a batch. */
    public static final int STEP_INPUT_LENGTH = 96;

    /** Decoder rows (inputs × choices) scored at once. */
    private static final int SCORE_ROWS = 64;

    private RankClassifier() {
    }

    /** Inputs with their encoder states from the encoder's cache of recent states (shared by every model taking over at that depth). */
    public static List<Encoded> encode(MiniLmModel encoder, DecoderLm lm, int layers, List<String> inputs,
            List<List<String>> choices, int[] gold) {
        return encode(encoder, lm, layers, inputs, choices, gold, done -> { });
    }

    /** As above, telling {@code encoded} how many inputs not in the cache are encoded (see {@link MiniLmModel#embed(List, IntConsumer)}). */
    public static List<Encoded> encode(MiniLmModel encoder, DecoderLm lm, int layers, List<String> inputs,
            List<List<String>> choices, int[] gold, IntConsumer encoded) {
        List<float[][]> states = encoder.cachedTokenStates(inputs, layers, encoded);
        return encode(encoder.tokenizer(), lm, states, choices, gold);
    }

    /** Inputs with the given encoder states, in order. */
    public static List<Encoded> encode(WordPieceTokenizer tokenizer, DecoderLm lm, List<float[][]> states,
            List<List<String>> choices, int[] gold) {
        List<Encoded> out = new ArrayList<>();
        for (int i = 0; i < states.size(); i++) {
            List<int[]> answers = choices.get(i).stream().map(c -> answer(tokenizer, lm, c)).toList();
            out.add(new Encoded(HalfMatrix.of(states.get(i)), answers, gold == null ? -1 : gold[i]));
        }
        return out;
    }

    /**
     * Each input's choices' summed log-probabilities (divided by their lengths when {@code lengthNormalised}), in
     * order, the batches side by side on {@code workers}.
     */
    public static List<double[]> scores(DirectScorer scorer, SideBySide workers, List<Encoded> inputs, boolean lengthNormalised) {
        return scores(scorer, workers, inputs, lengthNormalised, done -> { });
    }

    /** As {@link #scores(DirectScorer, SideBySide, List, boolean)}, telling {@code scored} how many inputs are done after each batch (in order). */
    public static List<double[]> scores(DirectScorer scorer, SideBySide workers, List<Encoded> inputs, boolean lengthNormalised,
            IntConsumer scored) {
        double[][] out = new double[inputs.size()][];
        Map<Integer, List<Integer>> byChoices = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            byChoices.computeIfAbsent(inputs.get(i).choices().size(), k -> new ArrayList<>()).add(i);
        }
        List<List<Integer>> batches = new ArrayList<>();
        for (List<Integer> same : byChoices.values()) {
            int perBatch = Math.max(1, SCORE_ROWS / inputs.get(same.get(0)).choices().size());
            batches.addAll(cut(same, i -> inputs.get(i).tokens(), perBatch, (long) SCORE_ROWS / 2 * STEP_INPUT_LENGTH));
        }
        int[] done = {0};
        // One scorer serves every worker at once.
        List<double[][]> results = workers.map(batches, Collections.nCopies(workers.threads(), scorer), (s, part) -> {
            List<Encoded> batch = part.stream().map(inputs::get).toList();
            return sequenceScores(s, batch, lengthNormalised);
        }, n -> scored.accept(done[0] += batches.get(n - 1).size()));
        for (int b = 0; b < batches.size(); b++) {
            for (int k = 0; k < batches.get(b).size(); k++) {
                out[batches.get(b).get(k)] = results.get(b)[k];
            }
        }
        return List.of(out);
    }

    /** One batch of inputs with the same number of choices: each choice's summed (or length-normalised) score. */
    private static double[][] sequenceScores(DirectScorer scorer, List<Encoded> batch, boolean lengthNormalised) {
        double[][] out = scorer.scores(states(batch), batch.stream().map(Encoded::choices).toList());
        if (lengthNormalised) {
            for (int k = 0; k < batch.size(); k++) {
                for (int c = 0; c < out[k].length; c++) {
                    out[k][c] /= batch.get(k).choices().get(c).length;
                }
            }
        }
        NativeMemory.afterStep();
        return out;
    }

    /** The share of inputs whose best-scored choice is their gold one. */
    public static double accuracy(DirectScorer scorer, SideBySide workers, List<Encoded> inputs) {
        return accuracy(scorer, workers, inputs, done -> { });
    }

    /** As {@link #accuracy(DirectScorer, SideBySide, List)}, telling {@code scored} how many inputs are done after each batch. */
    public static double accuracy(DirectScorer scorer, SideBySide workers, List<Encoded> inputs, IntConsumer scored) {
        List<double[]> scores = scores(scorer, workers, inputs, false, scored);
        int right = 0;
        for (int i = 0; i < inputs.size(); i++) {
            right += best(scores.get(i)) == inputs.get(i).gold() ? 1 : 0;
        }
        return right / (double) inputs.size();
    }

    /** The index of the largest score (the first one on a tie). */
    public static int best(double[] scores) {
        int best = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[best]) {
                best = c;
            }
        }
        return best;
    }

    /**
     * Consecutive runs of {@code items} of at most {@code inputs} items each, and fewer when they are
     * long: a run's items times its longest length stay within {@code tokens} (an item longer than that
     * goes alone). A batch's activations, and so its memory, follow that product.
     */
    public static <T> List<List<T>> cut(List<T> items, ToIntFunction<T> length, int inputs, long tokens) {
        List<List<T>> runs = new ArrayList<>();
        int start = 0;
        int longest = 0;
        for (int i = 0; i < items.size(); i++) {
            int l = length.applyAsInt(items.get(i));
            if (i > start && (i - start == inputs || (long) (i - start + 1) * Math.max(longest, l) > tokens)) {
                runs.add(items.subList(start, i));
                start = i;
                longest = 0;
            }
            longest = Math.max(longest, l);
        }
        if (start < items.size()) {
            runs.add(items.subList(start, items.size()));
        }
        return runs;
    }

    /** The inputs' states as floats, for a batch. */
    public static List<float[][]> states(List<Encoded> inputs) {
        return inputs.stream().map(e -> e.states().toFloats()).toList();
    }

    /**
     * An answer as the decoder scores it: its pieces and the end token; a piece outside the output
     * vocabulary becomes [UNK] (the base model's vocabulary holds every answer word of the catalog).
     */
    public static int[] answer(WordPieceTokenizer tokenizer, DecoderLm lm, String choice) {
        int[] pieces = tokenizer.pieces(choice);
        int[] out = new int[pieces.length + 1];
        int unknown = tokenizer.tokenId("[UNK]");
        for (int i = 0; i < pieces.length; i++) {
            out[i] = lm.indexOf(pieces[i]) >= 0 ? pieces[i] : unknown;
        }
        out[pieces.length] = tokenizer.sepId();
        return out;
    }
}
