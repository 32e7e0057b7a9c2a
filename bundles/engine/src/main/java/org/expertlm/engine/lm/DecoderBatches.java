package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.graph.DecoderBlocks;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The placeholders of a {@link DecoderLm}'s graph for a batch: rows of target sequences over the
 * encoder states of their inputs, each input's states serving its consecutive rows (its choices).
 */
final class DecoderBatches {

    private final DecoderConfig config;
    private final DecoderLm lm;
    private final DataType type;

    DecoderBatches(DecoderConfig config, DecoderLm lm, DataType type) {
        this.config = config;
        this.lm = lm;
        this.type = type;
    }

    /** See {@link DecoderLm#lmBatch}. */
    Map<String, INDArray> lm(List<float[][]> memories, List<int[]> targets) {
        if (memories.size() != targets.size() || memories.isEmpty()) {
            throw new IllegalArgumentException(memories.size() + " encoder states for " + targets.size()
                    + " targets; expected one per target, at least one");
        }
        return rows(memories, 1, targets);
    }

    /** See {@link DecoderLm#classificationBatch}. */
    Map<String, INDArray> classification(List<float[][]> memories, List<List<int[]>> choices, int[] gold) {
        int inputs = memories.size();
        if (inputs == 0 || choices.size() != inputs || gold != null && gold.length != inputs) {
            throw new IllegalArgumentException(inputs + " inputs, " + choices.size() + " choice lists and "
                    + (gold == null ? "no" : gold.length) + " gold indices; expected one of each per input");
        }
        int perInput = choices.get(0).size();
        List<int[]> rows = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            if (choices.get(i).size() != perInput || gold != null && (gold[i] < 0 || gold[i] >= perInput)) {
                throw new IllegalArgumentException("input " + i + " has " + choices.get(i).size() + " choices and gold "
                        + (gold == null ? "none" : gold[i]) + "; expected " + perInput + " choices and a gold index below that");
            }
            rows.addAll(choices.get(i));
        }
        Map<String, INDArray> batch = rows(memories, perInput, rows);
        if (gold != null) {
            INDArray goldMask = Nd4j.zeros(type, inputs, perInput);
            INDArray rowWeight = Nd4j.zeros(type, (long) inputs * perInput);
            for (int i = 0; i < inputs; i++) {
                goldMask.putScalar(i, gold[i], 1.0);
                rowWeight.putScalar((long) i * perInput + gold[i], 1.0); // the LM loss learns the gold answer only
            }
            batch.put("gold_mask", goldMask);
            batch.put("lm_row_weight", rowWeight);
        }
        return batch;
    }

    /**
     * The placeholders of rows of target sequences: input i's encoder states (padded to the longest)
     * serve its {@code fanout} consecutive rows.
     */
    Map<String, INDArray> rows(List<float[][]> memories, int fanout, List<int[]> sequences) {
        int rows = sequences.size();
        int inputs = memories.size();
        // At least two positions: with one, ND4J 1.0.0-M2.1 fails on some batch sizes (a reduction over a
        // dimension of size 1). The extra position is padding: masked out of every score, unseen by causality.
        int length = 2;
        for (int[] sequence : sequences) {
            if (sequence.length == 0 || sequence.length >= config.maxLength()) {
                throw new IllegalArgumentException("a target of " + sequence.length + " tokens; expected 1 to "
                        + (config.maxLength() - 1));
            }
            length = Math.max(length, sequence.length);
        }
        int memoryLength = memories.stream().mapToInt(m -> m.length).max().orElse(0);
        int[][] input = new int[rows][length];
        int[][] targets = new int[rows][length];
        float[][] mask = new float[rows][length];
        for (int r = 0; r < rows; r++) {
            int[] sequence = sequences.get(r);
            for (int t = 0; t < sequence.length; t++) {
                int index = lm.indexOf(sequence[t]);
                if (index < 0) {
                    throw new IllegalArgumentException("token " + sequence[t] + " is not in the decoder's output vocabulary");
                }
                targets[r][t] = index;
                input[r][t] = t == 0 ? 0 : targets[r][t - 1];
                mask[r][t] = 1;
            }
        }
        float[] memory = new float[inputs * memoryLength * config.dim()];
        float[][][][] memoryBias = new float[inputs][1][1][memoryLength];
        for (int i = 0; i < inputs; i++) {
            float[][] states = memories.get(i);
            for (int s = 0; s < memoryLength; s++) {
                if (s < states.length) {
                    System.arraycopy(states[s], 0, memory, (i * memoryLength + s) * config.dim(), config.dim());
                } else {
                    memoryBias[i][0][0][s] = (float) DecoderBlocks.MASKED;
                }
            }
        }
        Map<String, INDArray> batch = new HashMap<>();
        batch.put("memory", Nd4j.create(memory, new long[] {inputs, memoryLength, config.dim()}, 'c').castTo(type));
        batch.put("memory_bias", Nd4j.createFromArray(memoryBias).castTo(type));
        batch.put("fanout", Nd4j.zeros(type, 1, fanout, 1, 1));
        batch.put("decoder_input", Nd4j.createFromArray(input));
        batch.put("targets", Nd4j.createFromArray(targets));
        batch.put("target_mask", Nd4j.createFromArray(mask).castTo(type));
        batch.put("lm_row_weight", Nd4j.ones(type, rows));
        batch.put("gold_mask", Nd4j.ones(type, rows, 1)); // each row its own input with one choice
        batch.put("causal", Nd4j.createFromArray(DecoderBlocks.causalMask(length)).castTo(type));
        batch.put("positions", Nd4j.createFromArray(sinusoids(length, config.dim())).castTo(type));
        return batch;
    }

    /** The sinusoidal position encodings of the first {@code length} positions. */
    static double[][] sinusoids(int length, int dim) {
        double[][] out = new double[length][dim];
        for (int t = 0; t < length; t++) {
            for (int i = 0; i < dim; i += 2) {
                double angle = t / Math.pow(10000, (double) i / dim);
                out[t][i] = Math.sin(angle);
                if (i + 1 < dim) {
                    out[t][i + 1] = Math.cos(angle);
                }
            }
        }
        return out;
    }
}
