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

    /** See {@link DecoderLm#lmBatch} and {@link DecoderLm#lmParts}. */
    List<Map<String, INDArray>> lm(List<float[][]> memories, List<int[]> targets, int parts) {
        if (memories.size() != targets.size() || memories.isEmpty()) {
            throw new IllegalArgumentException(memories.size() + " encoder states for " + targets.size()
                    + " targets; expected one per target, at least one");
        }
        double tokens = targets.stream().mapToInt(t -> t.length).sum();
        List<Map<String, INDArray>> out = new ArrayList<>();
        for (int[] part : parts(memories.size(), parts)) {
            out.add(rows(memories.subList(part[0], part[1]), 1, targets.subList(part[0], part[1]), tokens));
        }
        return out;
    }

    /** See {@link DecoderLm#classificationBatch} and {@link DecoderLm#classificationParts}. */
    List<Map<String, INDArray>> classification(List<float[][]> memories, List<List<int[]>> choices, int[] gold, int parts) {
        int inputs = memories.size();
        if (inputs == 0 || choices.size() != inputs || gold != null && gold.length != inputs) {
            throw new IllegalArgumentException(inputs + " inputs, " + choices.size() + " choice lists and "
                    + (gold == null ? "no" : gold.length) + " gold indices; expected one of each per input");
        }
        int perInput = choices.get(0).size();
        double lmTokens = 0;
        for (int i = 0; i < inputs; i++) {
            if (choices.get(i).size() != perInput || gold != null && (gold[i] < 0 || gold[i] >= perInput)) {
                throw new IllegalArgumentException("input " + i + " has " + choices.get(i).size() + " choices and gold "
                        + (gold == null ? "none" : gold[i]) + "; expected " + perInput + " choices and a gold index below that");
            }
            // Without gold answers (scoring), every row counts in the LM loss.
            lmTokens += gold == null ? choices.get(i).stream().mapToInt(c -> c.length).sum() : choices.get(i).get(gold[i]).length;
        }
        List<Map<String, INDArray>> out = new ArrayList<>();
        for (int[] part : parts(inputs, parts)) {
            List<int[]> rows = new ArrayList<>();
            for (int i = part[0]; i < part[1]; i++) {
                rows.addAll(choices.get(i));
            }
            Map<String, INDArray> batch = rows(memories.subList(part[0], part[1]), perInput, rows, lmTokens);
            if (gold != null) {
                // Weighted as parts of the whole batch: the LM loss by its gold answers' tokens, the rank loss by its inputs.
                int size = part[1] - part[0];
                INDArray goldMask = Nd4j.zeros(type, size, perInput);
                INDArray rowWeight = Nd4j.zeros(type, (long) size * perInput);
                for (int i = part[0]; i < part[1]; i++) {
                    goldMask.putScalar(i - part[0], gold[i], 1.0 / inputs);
                    rowWeight.putScalar((long) (i - part[0]) * perInput + gold[i], 1.0 / lmTokens); // the gold answer only
                }
                batch.put("gold_mask", goldMask);
                batch.put("lm_row_weight", rowWeight);
            }
            out.add(batch);
        }
        return out;
    }

    /** {@code [from, to)} of at most {@code parts} consecutive runs of {@code items}, as even as they come. */
    private static List<int[]> parts(int items, int parts) {
        if (parts < 1) {
            throw new IllegalArgumentException("a batch cut into " + parts + " parts; expected at least one");
        }
        int n = Math.min(parts, items);
        List<int[]> out = new ArrayList<>(n);
        for (int p = 0; p < n; p++) {
            out.add(new int[] {(int) ((long) items * p / n), (int) ((long) items * (p + 1) / n)});
        }
        return out;
    }

    /**
     * The placeholders of rows of target sequences: input i's encoder states (padded to the longest)
     * serve its {@code fanout} consecutive rows. Every row weighs 1 / {@code lmTokens} in the LM loss (the
     * target tokens of the batch these rows are part of), and each its own input in the rank loss.
     */
    Map<String, INDArray> rows(List<float[][]> memories, int fanout, List<int[]> sequences, double lmTokens) {
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
        batch.put("lm_row_weight", Nd4j.valueArrayOf(new long[] {rows}, 1.0 / lmTokens, type));
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
