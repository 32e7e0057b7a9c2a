package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.List;

import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.DecoderBlocks;
import org.expertlm.engine.graph.EncoderLayers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

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
 * attention one input at a time, so that nothing is padded or masked; the output layer runs on the
 * real target tokens only; elementwise work is done in place.
 *
 * <p>A scorer is a snapshot of the model's weights when it was made (the folded copies do not follow
 * later training): make another after the weights change. It is immutable, and threads may score
 * batches on one scorer at once.
 */
public final class DirectScorer implements AutoCloseable {

    private static final double SQRT_HALF = Math.sqrt(0.5);

    private final DecoderLm lm;
    private final DecoderConfig config;
    private final DataType type;
    /** The tied embeddings [V, D]: the decoder's input tokens and its output layer. */
    private final INDArray table;
    private final double[][] positions;
    private final List<EncoderLayer> encoderLayers = new ArrayList<>();
    private final List<DecoderLayer> decoderLayers = new ArrayList<>();
    private final Norm finalNorm;
    /** The prepared products (the model's own arrays where nothing was folded in). */
    private final List<Linear> linears = new ArrayList<>();

    /** x · W + b on rows; W [in, out], b a row [1, out]; {@code prepared}: both are the scorer's own copies. */
    private record Linear(INDArray weight, INDArray bias, boolean prepared) {

        INDArray apply(INDArray rows) {
            INDArray out = Nd4j.createUninitialized(rows.dataType(), rows.rows(), weight.columns());
            Nd4j.gemm(rows, weight, out, false, false, 1.0, 0.0);
            return out.addiRowVector(bias);
        }
    }

    /** Layer norm over each row: (x - mean) / sqrt(variance + epsilon) · gain + bias, as {@code GraphOps.layerNorm}. */
    private record Norm(INDArray gain, INDArray bias, double epsilon) {

        /** Normalises {@code x} [N, D] in place; returns it. */
        INDArray applyInPlace(INDArray x) {
            INDArray mean = x.mean(true, 1);
            x.subiColumnVector(mean);
            INDArray squares = x.mul(x);
            INDArray deviation = Transforms.sqrt(squares.mean(true, 1).addi(epsilon), false);
            x.diviColumnVector(deviation).muliRowVector(gain).addiRowVector(bias);
            mean.close();
            squares.close();
            deviation.close();
            return x;
        }

        INDArray apply(INDArray x) {
            return applyInPlace(x.dup());
        }
    }

    /**
     * A Houlsby adapter, x + up(gelu(down(x))); {@code down} is prepared with GELU's 1/√2 folded in (see
     * {@link #gelu}), {@code up} with the √2 it leaves. Null parts: no adapter.
     */
    private record Houlsby(Linear down, Linear up) {

        INDArray applyInPlace(INDArray x) {
            if (down == null) {
                return x;
            }
            INDArray hidden = gelu(down.apply(x));
            INDArray update = up.apply(hidden);
            x.addi(update);
            free(hidden);
            free(update);
            return x;
        }
    }

    /** A post-layer-norm BERT block: the query carries the attention scale, GELU's constants are in the feed-forward. */
    private record EncoderLayer(Linear queryKeyValue, Linear output, Norm attentionNorm, Linear in, Linear out, Norm outputNorm) {
    }

    /** A decoder block's three pre-layer-norm sublayers, each with its Houlsby adapter (when it has one). */
    private record DecoderLayer(Norm selfNorm, Linear selfQueryKeyValue, Linear selfOutput, Houlsby selfAdapter,
            Norm crossNorm, Linear crossQuery, Linear crossKeyValue, Linear crossOutput, Houlsby crossAdapter,
            Norm ffnNorm, Linear ffnIn, Linear ffnOut, Houlsby ffnAdapter) {
    }

    private DirectScorer(DecoderLm lm) {
        this.lm = lm;
        this.config = lm.config();
        this.table = required("decoder.embeddings");
        this.type = table.dataType();
        this.positions = DecoderBatches.sinusoids(config.maxLength(), config.dim());
        int from = DecoderLm.memoryLayers(lm.plan());
        for (int layer = from; layer < 6; layer++) {
            encoderLayers.add(encoderLayer("encoder.layer." + layer + "."));
        }
        for (int layer = 0; layer < config.layers(); layer++) {
            decoderLayers.add(decoderLayer("decoder.layer." + layer));
        }
        this.finalNorm = norm("decoder.final.norm", DecoderBlocks.LAYER_NORM_EPSILON);
    }

    /** A scorer over {@code lm}'s weights as they are now. */
    public static DirectScorer of(DecoderLm lm) {
        return new DirectScorer(lm);
    }

    /** The bytes of the weights the scorer prepared (folded and fused copies), beside the model's own. */
    public long bytes() {
        long elements = 0;
        for (Linear l : linears) {
            elements += l.prepared ? l.weight.length() + l.bias.length() : 0;
        }
        return elements * type.width();
    }

    /** Frees the prepared copies now (a scorer made for one validation, a model evicted); the model's own arrays stay. */
    @Override
    public void close() {
        for (Linear l : linears) {
            if (l.prepared) {
                free(l.weight);
                free(l.bias);
            }
        }
        linears.clear();
    }

    /**
     * Each choice's summed log-probability of its tokens (WordPiece ids without BOS, every one in the
     * output vocabulary) given its input's encoder states [S, dim] below the model's own layers: the
     * graph's {@code sequence_logprob}, input by input.
     */
    public double[][] scores(List<float[][]> states, List<List<int[]>> choices) {
        if (states.size() != choices.size() || states.isEmpty()) {
            throw new IllegalArgumentException(states.size() + " inputs' states for " + choices.size()
                    + " choice lists; expected one of each per input, at least one");
        }
        List<INDArray> scratch = new ArrayList<>();
        try {
            int[] memoryOffsets = new int[states.size() + 1];
            for (int i = 0; i < states.size(); i++) {
                if (states.get(i).length == 0) {
                    throw new IllegalArgumentException("input " + i + " has no encoder states; expected at least one token");
                }
                memoryOffsets[i + 1] = memoryOffsets[i] + states.get(i).length;
            }
            return decode(encode(states, memoryOffsets, scratch), memoryOffsets, choices, scratch);
        } finally {
            scratch.forEach(DirectScorer::free);
        }
    }

    /** The encoder's adapted top layers over the inputs' real tokens, packed as rows [ΣS, D]. */
    private INDArray encode(List<float[][]> states, int[] offsets, List<INDArray> scratch) {
        int dim = config.dim();
        float[] rows = new float[offsets[offsets.length - 1] * dim];
        for (int i = 0; i < states.size(); i++) {
            float[][] input = states.get(i);
            for (int s = 0; s < input.length; s++) {
                System.arraycopy(input[s], 0, rows, (offsets[i] + s) * dim, dim);
            }
        }
        INDArray x = keep(scratch, keep(scratch, Nd4j.create(rows, new long[] {rows.length / dim, dim}, 'c')).castTo(type));
        for (EncoderLayer layer : encoderLayers) {
            INDArray qkv = keep(scratch, layer.queryKeyValue.apply(x));
            INDArray context = keep(scratch, Nd4j.createUninitialized(type, x.rows(), dim));
            for (int i = 0; i < offsets.length - 1; i++) {
                selfAttention(qkv, context, offsets[i], offsets[i + 1], scratch);
            }
            x.addi(keep(scratch, layer.output.apply(context)));
            layer.attentionNorm.applyInPlace(x);
            INDArray hidden = keep(scratch, gelu(layer.in.apply(x)));
            x.addi(keep(scratch, layer.out.apply(hidden)));
            layer.outputNorm.applyInPlace(x);
        }
        return x;
    }

    /** An encoder input's attention, rows [from, to) over themselves: query, key and value side by side in {@code qkv} [N, 3D]. */
    private void selfAttention(INDArray qkv, INDArray context, int from, int to, List<INDArray> scratch) {
        int heads = EncoderLayers.HEADS;
        int length = to - from;
        INDArray rows = qkv.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).reshape(length, 3, heads, config.dim() / heads);
        INDArray q = rows.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all()).permute(1, 0, 2);
        INDArray k = rows.get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all()).permute(1, 0, 2);
        INDArray v = rows.get(NDArrayIndex.all(), NDArrayIndex.point(2), NDArrayIndex.all(), NDArrayIndex.all()).permute(1, 0, 2);
        attend(q, k, v, context.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()), scratch);
    }

    /**
     * softmax(q·kᵀ)·v for heads [H, Lq, dh] and [H, Lk, dh] (the scale is in q), written into {@code into}, a
     * view of rows [Lq, D].
     */
    private void attend(INDArray q, INDArray k, INDArray v, INDArray into, List<INDArray> scratch) {
        INDArray scores = keep(scratch, Nd4j.matmul(q, k, false, true, false));
        Nd4j.exec(new SoftMax(scores, scores, 2));
        INDArray context = keep(scratch, Nd4j.matmul(scores, v));
        // Assigned through the view, not through a reshape of it (which may be a copy).
        into.assign(keep(scratch, context.permute(1, 0, 2).dup('c')).reshape(into.rows(), into.columns()));
    }

    /** The decoder over the choices, each input's choices over its states; the summed log-probabilities. */
    private double[][] decode(INDArray memory, int[] memoryOffsets, List<List<int[]>> choices, List<INDArray> scratch) {
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
        INDArray x = keep(scratch, Nd4j.pullRows(table, 1, input));
        x.addi(keep(scratch, keep(scratch, Nd4j.create(position, new long[] {(long) rows * length, dim}, 'c')).castTo(type)));
        INDArray causal = keep(scratch, Nd4j.createFromArray(DecoderBlocks.causalMask(length)).castTo(type));
        for (DecoderLayer layer : decoderLayers) {
            INDArray selfAttended = causalSelfAttention(layer, keep(scratch, layer.selfNorm.apply(x)), rows, length, causal, scratch);
            x.addi(layer.selfAdapter.applyInPlace(selfAttended));
            INDArray crossAttended = crossAttention(layer, keep(scratch, layer.crossNorm.apply(x)), memory, memoryOffsets,
                    rowOffsets, length, scratch);
            x.addi(layer.crossAdapter.applyInPlace(crossAttended));
            INDArray hidden = keep(scratch, gelu(layer.ffnIn.apply(keep(scratch, layer.ffnNorm.apply(x)))));
            x.addi(layer.ffnAdapter.applyInPlace(keep(scratch, layer.ffnOut.apply(hidden))));
        }
        // The output layer on the real target tokens only.
        List<Integer> real = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < targets[r].length; t++) {
                real.add(r * length + t);
            }
        }
        INDArray last = keep(scratch, Nd4j.pullRows(x, 1, real.stream().mapToInt(Integer::intValue).toArray()));
        finalNorm.applyInPlace(last);
        INDArray logits = keep(scratch, Nd4j.createUninitialized(type, last.rows(), table.rows()));
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
            List<INDArray> scratch) {
        int heads = config.heads();
        int head = config.dim() / heads;
        INDArray qkv = keep(scratch, layer.selfQueryKeyValue.apply(normed)).reshape(rows, length, 3, heads, head);
        INDArray q = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3);
        INDArray k = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3);
        INDArray v = qkv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(2), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3);
        INDArray scores = keep(scratch, Nd4j.matmul(q, k, false, true, false));
        scores.addi(keep(scratch, causal.reshape(1, 1, length, length).broadcast(scores.shape())));
        Nd4j.exec(new SoftMax(scores, scores, 3));
        INDArray context = keep(scratch, Nd4j.createUninitialized(type, (long) rows * length, config.dim()));
        context.reshape(rows, length, heads, head).assign(keep(scratch, Nd4j.matmul(scores, v)).permute(0, 2, 1, 3));
        return keep(scratch, layer.selfOutput.apply(context));
    }

    /**
     * Cross-attention of the normed rows, an input's choices over its own states only (no padding on either
     * side); projected, before the adapter.
     */
    private INDArray crossAttention(DecoderLayer layer, INDArray normed, INDArray memory, int[] memoryOffsets, int[] rowOffsets,
            int length, List<INDArray> scratch) {
        int heads = config.heads();
        int head = config.dim() / heads;
        INDArray query = keep(scratch, layer.crossQuery.apply(normed));
        INDArray keyValue = keep(scratch, layer.crossKeyValue.apply(memory));
        INDArray context = keep(scratch, Nd4j.createUninitialized(type, query.rows(), config.dim()));
        for (int i = 0; i < rowOffsets.length - 1; i++) {
            long from = (long) rowOffsets[i] * length;
            long to = (long) rowOffsets[i + 1] * length;
            int states = memoryOffsets[i + 1] - memoryOffsets[i];
            INDArray q = query.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).reshape(to - from, heads, head)
                    .permute(1, 0, 2);
            INDArray kv = keyValue.get(NDArrayIndex.interval(memoryOffsets[i], memoryOffsets[i + 1]), NDArrayIndex.all())
                    .reshape(states, 2, heads, head);
            INDArray k = kv.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.all()).permute(1, 0, 2);
            INDArray v = kv.get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all(), NDArrayIndex.all()).permute(1, 0, 2);
            attend(q, k, v, context.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()), scratch);
        }
        return keep(scratch, layer.crossOutput.apply(context));
    }

    /** z · (1 + erf(z)) in place, for z = x/√2 (folded into the product before): GELU(x) · √2, the √2 folded after. */
    private static INDArray gelu(INDArray z) {
        INDArray erf = z.dup();
        Nd4j.getExecutioner().exec(new Erf(erf, erf));
        z.muli(erf.addi(1.0));
        erf.close();
        return z;
    }

    private static void free(INDArray a) {
        if (a.closeable() && !a.wasClosed()) {
            a.close();
        }
    }

    private static INDArray keep(List<INDArray> scratch, INDArray a) {
        scratch.add(a);
        return a;
    }

    private EncoderLayer encoderLayer(String p) {
        double scale = 1 / Math.sqrt(config.dim() / (double) EncoderLayers.HEADS);
        return new EncoderLayer(
                fused(linear(p + "attention.self.query", scale), linear(p + "attention.self.key", 1),
                        linear(p + "attention.self.value", 1)),
                linear(p + "attention.output.dense", 1),
                norm(p + "attention.output.LayerNorm", EncoderLayers.LAYER_NORM_EPSILON),
                linear(p + "intermediate.dense", SQRT_HALF, SQRT_HALF), linear(p + "output.dense", SQRT_HALF, 1),
                norm(p + "output.LayerNorm", EncoderLayers.LAYER_NORM_EPSILON));
    }

    private DecoderLayer decoderLayer(String p) {
        double scale = 1 / Math.sqrt(config.dim() / (double) config.heads());
        double epsilon = DecoderBlocks.LAYER_NORM_EPSILON;
        return new DecoderLayer(
                norm(p + ".self.norm", epsilon),
                fused(linear(p + ".self.query", scale), linear(p + ".self.key", 1), linear(p + ".self.value", 1)),
                linear(p + ".self.output", 1), houlsby(p + ".self.adapter"),
                norm(p + ".cross.norm", epsilon), linear(p + ".cross.query", scale),
                fused(linear(p + ".cross.key", 1), linear(p + ".cross.value", 1)),
                linear(p + ".cross.output", 1), houlsby(p + ".cross.adapter"),
                norm(p + ".ffn.norm", epsilon), linear(p + ".ffn.in", SQRT_HALF, SQRT_HALF), linear(p + ".ffn.out", SQRT_HALF, 1),
                houlsby(p + ".ffn.adapter"));
    }

    private Linear linear(String name, double scale) {
        return linear(name, scale, scale);
    }

    /**
     * The projection {@code name} with its LoRA update folded in when it has one, scaled: (W + alpha/rank · A·B) ·
     * {@code weightScale} and b · {@code biasScale}. The model's own arrays when nothing changes them.
     */
    private Linear linear(String name, double weightScale, double biasScale) {
        INDArray weight = required(name + ".weight");
        INDArray bias = required(name + ".bias");
        INDArray a = lm.weight(name + ".lora_a");
        if (a == null && weightScale == 1 && biasScale == 1) {
            return add(new Linear(weight, bias.reshape(1, bias.length()), false));
        }
        weight = weight.dup('c');
        if (a != null) {
            AdapterPlan plan = lm.plan();
            INDArray update = a.mmul(required(name + ".lora_b"));
            weight.addi(update.muli(plan.loraAlpha() / plan.loraRank()));
            update.close();
        }
        return add(new Linear(weight.muli(weightScale), bias.reshape(1, bias.length()).mul(biasScale), true));
    }

    private Linear add(Linear linear) {
        linears.add(linear);
        return linear;
    }

    /** Projections side by side, as one product (the parts' own copies freed). */
    private Linear fused(Linear... parts) {
        INDArray[] weights = new INDArray[parts.length];
        INDArray[] biases = new INDArray[parts.length];
        for (int i = 0; i < parts.length; i++) {
            weights[i] = parts[i].weight;
            biases[i] = parts[i].bias;
        }
        Linear fused = new Linear(Nd4j.hstack(weights), Nd4j.hstack(biases), true);
        for (Linear part : parts) {
            linears.removeIf(l -> l == part);
            if (part.prepared) {
                free(part.weight);
                free(part.bias);
            }
        }
        return add(fused);
    }

    private Houlsby houlsby(String name) {
        if (lm.weight(name + ".down.weight") == null) {
            return new Houlsby(null, null);
        }
        return new Houlsby(linear(name + ".down", SQRT_HALF, SQRT_HALF), linear(name + ".up", SQRT_HALF, 1));
    }

    private Norm norm(String name, double epsilon) {
        INDArray gain = required(name + ".weight");
        INDArray bias = required(name + ".bias");
        return new Norm(gain.reshape(1, gain.length()), bias.reshape(1, bias.length()), epsilon);
    }

    private INDArray required(String name) {
        INDArray a = lm.weight(name);
        if (a == null) {
            throw new IllegalArgumentException("the model has no weight '" + name + "' for the direct scorer");
        }
        return a;
    }
}
