package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.graph.ClosingMemoryManager;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Text generation with a {@link DecoderLm}: greedy decoding and beam search over one input's encoder
 * states, up to a length limit or the end token. Every step runs the decoder on the prefix (no
 * key/value cache yet), which is simple and exact; it is fast enough for the short outputs here.
 */
public final class Generator {

    /** A generated sequence (WordPiece ids, without BOS or the end token) and its summed log-probability. */
    public record Hypothesis(int[] tokens, double logProb, boolean finished) {
    }

    private final DecoderLm lm;
    private final int endToken;

    /** Generation that stops at {@code endToken} (a WordPiece id in the output vocabulary, e.g. [SEP]). */
    public Generator(DecoderLm lm, int endToken) {
        if (lm.indexOf(endToken) < 0) {
            throw new IllegalArgumentException("end token " + endToken + " is not in the decoder's output vocabulary");
        }
        this.lm = lm;
        this.endToken = endToken;
    }

    /** The most likely token at each step (what a beam of width 1 gives, without ranking the whole vocabulary each step). */
    public Hypothesis greedy(float[][] memory, int maxTokens) {
        int limit = Math.min(maxTokens, lm.config().maxLength() - 1);
        if (limit < 1) {
            throw new IllegalArgumentException("length limit " + maxTokens + " must be at least 1");
        }
        int[] vocabulary = lm.config().vocabulary();
        int[] tokens = new int[0];
        double logProb = 0;
        for (int step = 0; step < limit; step++) {
            double[] next = nextLogProbs(memory, tokens);
            int best = 1; // index 0 is BOS, never generated
            for (int v = 2; v < vocabulary.length; v++) {
                if (next[v] > next[best]) {
                    best = v;
                }
            }
            logProb += next[best];
            if (vocabulary[best] == endToken) {
                return new Hypothesis(tokens, logProb, true);
            }
            tokens = append(tokens, vocabulary[best]);
        }
        return new Hypothesis(tokens, logProb, false);
    }

    /** The {@code width} best sequences, best first. */
    public List<Hypothesis> beam(float[][] memory, int width, int maxTokens) {
        int limit = Math.min(maxTokens, lm.config().maxLength() - 1);
        if (width < 1 || limit < 1) {
            throw new IllegalArgumentException("beam width " + width + " and length limit " + maxTokens + " must be at least 1");
        }
        int[] vocabulary = lm.config().vocabulary();
        List<Hypothesis> beams = List.of(new Hypothesis(new int[0], 0, false));
        for (int step = 0; step < limit && beams.stream().anyMatch(h -> !h.finished()); step++) {
            List<Hypothesis> candidates = new ArrayList<>();
            for (Hypothesis h : beams) {
                if (h.finished()) {
                    candidates.add(h);
                    continue;
                }
                double[] next = nextLogProbs(memory, h.tokens());
                for (int v = 1; v < vocabulary.length; v++) { // index 0 is BOS, never generated
                    boolean end = vocabulary[v] == endToken;
                    int[] tokens = end ? h.tokens() : append(h.tokens(), vocabulary[v]);
                    candidates.add(new Hypothesis(tokens, h.logProb() + next[v], end));
                }
            }
            candidates.sort(Comparator.comparingDouble(Hypothesis::logProb).reversed());
            beams = List.copyOf(candidates.subList(0, Math.min(width, candidates.size())));
        }
        return beams;
    }

    /** The log-probabilities of the token after {@code prefix}, over the output vocabulary. */
    double[] nextLogProbs(float[][] memory, int[] prefix) {
        // The graph scores targets: give it the prefix plus a placeholder target and read the last position.
        int[] asTarget = append(prefix, lm.config().vocabulary()[0]);
        Map<String, INDArray> batch = lm.batch(memory, List.of(asTarget));
        ClosingMemoryManager.installForThisThread(lm.graph());
        INDArray logProbs = lm.graph().output(batch, "log_probs").get("log_probs");
        double[] out = new double[lm.config().vocabulary().length];
        for (int v = 0; v < out.length; v++) {
            out[v] = logProbs.getDouble(0, prefix.length, v);
        }
        return out;
    }

    private static int[] append(int[] tokens, int token) {
        int[] out = new int[tokens.length + 1];
        System.arraycopy(tokens, 0, out, 0, tokens.length);
        out[tokens.length] = token;
        return out;
    }
}
