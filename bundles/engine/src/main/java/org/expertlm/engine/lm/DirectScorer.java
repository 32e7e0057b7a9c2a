package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.expertlm.engine.direct.BertLayer;
import org.expertlm.engine.direct.Linear;
import org.expertlm.engine.direct.ModelWeights;
import org.expertlm.engine.direct.Norm;
import org.expertlm.engine.direct.Scratch;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.DecoderBlocks;
import org.expertlm.engine.encoder.MiniLmEncoder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rank classification's forward pass run directly through ND4J's operations, without a SameDiff
 * session: the mathematics of {@link DecoderLm}'s graph, which stays the reference (DirectScorerTest
 * holds the two together), in fewer and larger operations. Scoring is most of what a container does,
 * and on the decoder's small tensors a graph session's bookkeeping and fresh arrays cost about as much
 * as the operations themselves.
 *
 * <p>What differs from the graph, all of it exact up to float rounding: the weights are prepared once
 * (LoRA's update folded into the weight it adapts, W + alpha/rank·A·B; query, key and value in one
 * product; the attention scale and GELU's 1/√2 folded into the products around them); the encoder's
 * adapted layers and the cross-attention keys and values run on each input's real tokens only,
 * attention one input at a time, so that the inputs' states are neither padded nor masked (the
 * choices still are: padded to the longest, causally masked); the output layer runs on the real target
 * tokens only; elementwise work is done in place.
 *
 * <p>A scorer shares some of the model's arrays and copies others (the folded and fused ones), so it
 * is valid only while the weights stay as they were when it was made: make another after they change.
 * It is immutable until {@link #close}, and threads may score batches on one scorer at once.
 */
public final class DirectScorer implements AutoCloseable {

    private final DecoderLm lm;
    private final DecoderConfig config;
    private final DataType type;
    /** The tied embeddings [V, D]: the decoder's input tokens and its output layer. */
    private final INDArray table;
    private final double[][] positions;
    private final List<BertLayer> encoderLayers = new ArrayList<>();
    private final List<DecoderLayer> decoderLayers = new ArrayList<>();
    private final Norm finalNorm;
    private volatile boolean closed;

    /**
     * A Houlsby adapter, x + up(gelu(down(x))); {@code down} is prepared with GELU's 1/√2 folded in, {@code up}
     * with the √2 it leaves (see {@link BertLayer#gelu}). Null parts: no adapter.
     */
    private record Houlsby(Linear down, Linear up) {

        INDArray applyInPlace(INDArray x) {
            if (down == null) {
                return x;
            }
            INDArray hidden = BertLayer.gelu(down.apply(x));
            INDArray update = up.apply(hidden);
            x.addi(update);
            Scratch.free(hidden);
            Scratch.free(update);
            return x;
        }

        List<Linear> linears() {
            return down == null ? List.of() : List.of(down, up);
        }
    }

    /** A decoder block's three pre-layer-norm sublayers, each with its Houlsby adapter (when it has one). */
    private record DecoderLayer(Norm selfNorm, Linear selfQueryKeyValue, Linear selfOutput, Houlsby selfAdapter,
            Norm crossNorm, Linear crossQuery, Linear crossKeyValue, Linear crossOutput, Houlsby crossAdapter,
            Norm ffnNorm, Linear ffnIn, Linear ffnOut, Houlsby ffnAdapter) {

        List<Linear> linears() {
            List<Linear> all = new ArrayList<>(List.of(selfQueryKeyValue, selfOutput, crossQuery, crossKeyValue, crossOutput, ffnIn,
                    ffnOut));
            all.addAll(selfAdapter.linears());
            all.addAll(crossAdapter.linears());
            all.addAll(ffnAdapter.linears());
            return all;
        }
    }

    private DirectScorer(DecoderLm lm) {
        this.lm = lm;
        this.config = lm.config();
        ModelWeights weights = weights(lm);
        this.table = weights.required("decoder.embeddings");
        this.type = table.dataType();
        this.positions = DecoderBatches.sinusoids(config.maxLength(), config.dim());
        for (int layer = DecoderLm.memoryLayers(lm.plan()); layer < MiniLmEncoder.LAYERS; layer++) {
            encoderLayers.add(weights.bertLayer("encoder.layer." + layer + ".", MiniLmEncoder.HEADS, MiniLmEncoder.LAYER_NORM_EPSILON));
        }
        for (int layer = 0; layer < config.layers(); layer++) {
            decoderLayers.add(decoderLayer(weights, "decoder.layer." + layer));
        }
        this.finalNorm = weights.norm("decoder.final.norm", DecoderBlocks.LAYER_NORM_EPSILON);
    }

    /** A scorer over {@code lm}'s weights as they are now. */
    public static DirectScorer of(DecoderLm lm) {
        return new DirectScorer(lm);
    }

    /** The model's arrays, each LoRA update (alpha/rank · A·B) folded into the weight it adapts. */
    private static ModelWeights weights(DecoderLm lm) {
        return new ModelWeights() {
            @Override
            public INDArray array(String name) {
                return lm.weight(name);
            }

            @Override
            public INDArray update(String name) {
                INDArray a = lm.weight(name + ".lora_a");
                if (a == null) {
                    return null;
                }
                AdapterPlan plan = lm.plan();
                return a.mmul(required(name + ".lora_b")).muli(plan.loraAlpha() / plan.loraRank());
            }
        };
    }

    /** The bytes of the weights the scorer prepared (folded and fused copies), beside the model's own. */
    public long bytes() {
        long elements = 0;
        for (BertLayer l : encoderLayers) {
            elements += l.ownElements();
        }
        for (DecoderLayer l : decoderLayers) {
            elements += l.linears().stream().mapToLong(Linear::ownElements).sum();
        }
        return elements * type.width();
    }

    /**
     * Frees the prepared copies now (a scorer made for one validation, a model evicted); the model's own arrays
     * stay. No call may be scoring then; later ones are refused.
     */
    @Override
    public void close() {
        closed = true;
        encoderLayers.forEach(BertLayer::free);
        decoderLayers.forEach(l -> l.linears().forEach(Linear::free));
        encoderLayers.clear();
        decoderLayers.clear();
    }

    /**
     * Each choice's summed log-probability of its tokens (WordPiece ids without BOS, every one in the
     * output vocabulary) given its input's encoder states [S, dim] below the model's own layers: the
     * graph's {@code sequence_logprob}, input by input.
     */
    public double[][] scores(List<float[][]> states, List<List<int[]>> choices) {
        if (closed) {
            throw new IllegalStateException("this scorer was closed (its model was evicted or trained on); make another");
        }
        if (states.size() != choices.size() || states.isEmpty()) {
            throw new IllegalArgumentException(states.size() + " inputs' states for " + choices.size()
                    + " choice lists; expected one of each per input, at least one");
        }
        int[] memoryOffsets = new int[states.size() + 1];
        for (int i = 0; i < states.size(); i++) {
            if (states.get(i).length == 0) {
                throw new IllegalArgumentException("input " + i + " has no encoder states; expected at least one token");
            }
            memoryOffsets[i + 1] = memoryOffsets[i] + states.get(i).length;
        }
        try (Scratch scratch = new Scratch()) {
            return decode(encode(states, memoryOffsets, scratch), memoryOffsets, choices, scratch);
        }
    }

    /** The encoder's adapted top layers over the inputs' real tokens, packed as rows [ΣS, D]. */
    private INDArray encode(List<float[][]> states, int[] offsets, Scratch scratch) {
        int dim = config.dim();
        float[] rows = new float[offsets[offsets.length - 1] * dim];
        for (int i = 0; i < states.size(); i++) {
            float[][] input = states.get(i);
            for (int s = 0; s < input.length; s++) {
                System.arraycopy(input[s], 0, rows, (offsets[i] + s) * dim, dim);
            }
        }
        INDArray x = scratch.keep(scratch.keep(Nd4j.create(rows, new long[] {rows.length / dim, dim}, 'c')).castTo(type));
        for (BertLayer layer : encoderLayers) {
            layer.applyInPlace(x, offsets, scratch);
        }
        return x;
    }

    /** The decoder over the choices, each input's choices over its states; the summed log-probabilities. */
    private double[][] decode(INDArray memory, int[] memoryOffsets, List<List<int[]>> choices, Scratch scratch) {
        int dim = config.dim();
        List<int[]> sequences = new ArrayList<>();
        int[] rowOffsets = new int[choices.size() + 1];
        int length = 1;
        for (int i = 0; i < choices.size(); i++) {
            for (int[] sequence : choices.get(i)) {
                if (sequence.length == 0 || sequence.length >= config.maxLength()) {
                    throw new IllegalArgumentException("a choice of " + sequence.length + " tokens; expected 1 to "
                            + (config.maxLength() - 1));
                }
                length = Math.max(length, sequence.length);
                sequences.add(sequence);
            }
            rowOffsets[i + 1] = sequences.size();
        }
        int rows = sequences.size();
        // The decoder's input: BOS then each target token but the last, embedded, plus the positions; padding is BOS.
        int[][] targets = new int[rows][];
        int[] input = new int[rows * length];
        double[] position = new double[rows * length * dim];
        for (int r = 0; r < rows; r++) {
            int[] sequence = sequences.get(r);
            targets[r] = new int[sequence.length];
            for (int t = 0; t < length; t++) {
                if (t < sequence.length) {
                    targets[r][t] = lm.indexOf(sequence[t]);
                    if (targets[r][t] < 0) {
                        throw new IllegalArgumentException("token " + sequence[t] + " is not in the decoder's output vocabulary");
                    }
                }
                input[r * length + t] = t == 0 || t >= sequence.length ? 0 : targets[r][t - 1];
                System.arraycopy(positions[t], 0, position, (r * length + t) * dim, dim);
            }
        }
        INDArray x = scratch.keep(Nd4j.pullRows(table, 1, input));
        x.addi(scratch.keep(scratch.keep(Nd4j.create(position, new long[] {(long) rows * length, dim}, 'c')).castTo(type)));
        INDArray causal = scratch.keep(Nd4j.createFromArray(DecoderBlocks.causalMask(length)).castTo(type));
        for (DecoderLayer layer : decoderLayers) {
            INDArray selfAttended = causalSelfAttention(layer, scratch.keep(layer.selfNorm.apply(x)), rows, length, causal, scratch);
            x.addi(layer.selfAdapter.applyInPlace(selfAttended));
            INDArray crossAttended = crossAttention(layer, scratch.keep(layer.crossNorm.apply(x)), memory, memoryOffsets,
                    rowOffsets, length, scratch);
            x.addi(layer.crossAdapter.applyInPlace(crossAttended));
            INDArray hidden = scratch.keep(BertLayer.gelu(layer.ffnIn.apply(scratch.keep(layer.ffnNorm.apply(x)))));
            x.addi(layer.ffnAdapter.applyInPlace(scratch.keep(layer.ffnOut.apply(hidden))));
        }
        // The output layer on the real target tokens only.
        int[] real = new int[Arrays.stream(targets).mapToInt(t -> t.length).sum()];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < targets[r].length; t++) {
                real[n++] = r * length + t;
            }
        }
        INDArray last = scratch.keep(Nd4j.pullRows(x, 1, real));
        finalNorm.applyInPlace(last);
        INDArray logits = scratch.keep(Nd4j.createUninitialized(type, last.rows(), table.rows()));
        Nd4j.gemm(last, table, logits, false, true, 1.0, 0.0);
        Nd4j.exec(new LogSoftMax(logits, logits));
        double[][] out = new double[choices.size()][];
        int token = 0;
        for (int i = 0; i < choices.size(); i++) {
            out[i] = new double[rowOffsets[i + 1] - rowOffsets[i]];
            for (int c = 0; c < out[i].length; c++) {
                double sum = 0;
                for (int target : targets[rowOffsets[i] + c]) {
                    sum += logits.getDouble(token++, target);
                }
                out[i][c] = sum;
            }
        }
        return out;
    }

    /** Causal self-attention of the normed rows [R·T, D], all rows at once as [R, H, T, dh]; projected, before the adapter. */
    private INDArray causalSelfAttention(DecoderLayer layer, INDArray normed, int rows, int length, INDArray causal,
            Scratch scratch) {
        int heads = config.heads();
        int head = config.dim() / heads;
        INDArray qkv = scratch.keep(layer.selfQueryKeyValue.apply(normed)).reshape(rows, length, 3, heads, head);
        INDArray q = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3);
        INDArray k = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3);
        INDArray v = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(2), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3);
        INDArray scores = scratch.keep(Nd4j.matmul(q, k, false, true, false));
        scores.addi(scratch.keep(causal.reshape(1, 1, length, length).broadcast(scores.shape())));
        Nd4j.exec(new SoftMax(scores, scores, 3));
        INDArray context = scratch.keep(Nd4j.createUninitialized(type, (long) rows * length, config.dim()));
        context.reshape(rows, length, heads, head).assign(scratch.keep(Nd4j.matmul(scores, v)).permute(0, 2, 1, 3));
        return scratch.keep(layer.selfOutput.apply(context));
    }

    /**
     * Cross-attention of the normed rows, an input's choices over its own states only (no padding on either
     * side); projected, before the adapter.
     */
    private INDArray crossAttention(DecoderLayer layer, INDArray normed, INDArray memory, int[] memoryOffsets, int[] rowOffsets,
            int length, Scratch scratch) {
        int heads = config.heads();
        int head = config.dim() / heads;
        INDArray query = scratch.keep(layer.crossQuery.apply(normed));
        INDArray keyValue = scratch.keep(layer.crossKeyValue.apply(memory));
        INDArray context = scratch.keep(Nd4j.createUninitialized(type, query.rows(), config.dim()));
        for (int i = 0; i < rowOffsets.length - 1; i++) {
            long from = (long) rowOffsets[i] * length;
            long to = (long) rowOffsets[i + 1] * length;
            int states = memoryOffsets[i + 1] - memoryOffsets[i];
            INDArray q = query.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).reshape(to - from, heads, head)
                    .permute(1, 0, 2);
            INDArray kv = keyValue.get(NDArrayIndex.interval(memoryOffsets[i], memoryOffsets[i + 1]), NDArrayIndex.all())
                    .reshape(states, 2, heads, head);
            BertLayer.attend(q, BertLayer.part(kv, 0), BertLayer.part(kv, 1), context.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()), scratch);
        }
        return scratch.keep(layer.crossOutput.apply(context));
    }

    private DecoderLayer decoderLayer(ModelWeights w, String p) {
        int heads = config.heads();
        double epsilon = DecoderBlocks.LAYER_NORM_EPSILON;
        return new DecoderLayer(
                w.norm(p + ".self.norm", epsilon),
                Linear.fused(w.query(p + ".self.query", heads), w.linear(p + ".self.key", 1, 1), w.linear(p + ".self.value", 1, 1)),
                w.linear(p + ".self.output", 1, 1), houlsby(w, p + ".self.adapter"),
                w.norm(p + ".cross.norm", epsilon), w.query(p + ".cross.query", heads),
                Linear.fused(w.linear(p + ".cross.key", 1, 1), w.linear(p + ".cross.value", 1, 1)),
                w.linear(p + ".cross.output", 1, 1), houlsby(w, p + ".cross.adapter"),
                w.norm(p + ".ffn.norm", epsilon), w.beforeGelu(p + ".ffn.in"), w.afterGelu(p + ".ffn.out"),
                houlsby(w, p + ".ffn.adapter"));
    }

    private static Houlsby houlsby(ModelWeights w, String name) {
        if (w.array(name + ".down.weight") == null) {
            return new Houlsby(null, null);
        }
        return new Houlsby(w.beforeGelu(name + ".down"), w.afterGelu(name + ".up"));
    }
}
