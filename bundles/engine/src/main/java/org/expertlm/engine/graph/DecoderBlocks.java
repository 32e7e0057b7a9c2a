package org.expertlm.engine.graph;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The sublayers of a transformer decoder over token states [B, T, D], each pre-layer-norm with a
 * residual: causal self-attention (a position sees itself and the positions before it), cross-attention
 * over encoder states [B, S, D] (padding of the encoder side masked), and a GELU feed-forward block.
 * Tensor names follow {@code <prefix>.<part>.weight|bias}.
 *
 * <p>Linear layers are 2-D products over all tokens: in ND4J 1.0.0-M2.1 the backward pass of
 * {@code tensorMmul} on [B, T, D] fails, so a trainable graph cannot use it.
 */
public final class DecoderBlocks {

    /** Large enough that softmax gives a masked position no weight, small enough to stay finite. */
    public static final double MASKED = -1e9;

    /** The decoder's layer-norm epsilon. */
    public static final double LAYER_NORM_EPSILON = 1e-5;

    private final SameDiff sd;
    private final Parameters p;
    private final int dim;
    private final int heads;
    private final SDVariable headShape;
    private final SDVariable hiddenShape;
    private final AdapterPlan adapters;
    private final DataType type;

    /** Blocks for states shaped like {@code states} [B, T, dim] with {@code heads} attention heads. */
    public DecoderBlocks(SameDiff sd, Parameters p, SDVariable states, int dim, int heads) {
        this(sd, p, states, dim, heads, null, null);
    }

    /**
     * Blocks with the adapters of {@code adapters} (trainable variables of {@code type}) inserted;
     * {@code adapters} may be null for none.
     */
    public DecoderBlocks(SameDiff sd, Parameters p, SDVariable states, int dim, int heads, AdapterPlan adapters,
            DataType type) {
        if (dim % heads != 0) {
            throw new IllegalArgumentException("dimension " + dim + " does not split into " + heads + " heads");
        }
        this.sd = sd;
        this.p = p;
        this.dim = dim;
        this.heads = heads;
        this.adapters = adapters;
        this.type = type;
        SDVariable batchAndLength = sd.slice(sd.shape(states), new int[] {0}, 2);
        this.headShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {heads, dim / heads}).castTo(batchAndLength.dataType())));
        this.hiddenShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {dim}).castTo(batchAndLength.dataType())));
    }

    /**
     * x + SelfAttention(LN(x)) where position t attends to positions ≤ t; {@code causalMask} [T, T]
     * holds 0 on and below the diagonal and {@link #MASKED} above (see {@link #causalMask(int)}).
     */
    public SDVariable causalSelfAttention(SDVariable x, SDVariable causalMask, String prefix) {
        SDVariable rows = tokens(layerNorm(x, prefix + ".norm"));
        SDVariable q = split(linear(rows, prefix + ".query", dim, dim), headShape);
        SDVariable k = split(linear(rows, prefix + ".key", dim, dim), headShape);
        SDVariable v = split(linear(rows, prefix + ".value", dim, dim), headShape);
        return x.add(attend(q, k, v, causalMask, prefix));
    }

    /**
     * x + CrossAttention(LN(x), memory): queries from the decoder rows x [R, T, D], keys and values from
     * the encoder states {@code memory} [I, S, D] of I inputs, each serving F consecutive rows (R = I·F;
     * {@code fanout} is zeros [1, F, 1, 1]): keys and values are projected once per input and broadcast
     * to its rows, not once per row. {@code memoryBias} [R, 1, 1, S] is 0 for real tokens, {@link #MASKED}
     * for padding.
     */
    public SDVariable crossAttention(SDVariable x, SDVariable memory, SDVariable memoryBias, SDVariable fanout, String prefix) {
        SDVariable memoryBatchAndLength = sd.slice(sd.shape(memory), new int[] {0}, 2);
        DataType shapeType = memoryBatchAndLength.dataType();
        SDVariable memoryHeads = sd.concat(0, memoryBatchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {heads, dim / heads}).castTo(shapeType)));
        SDVariable rowHeads = sd.concat(0, sd.constant(Nd4j.createFromArray(new long[] {-1, heads}).castTo(shapeType)),
                sd.slice(memoryBatchAndLength, new int[] {1}, 1),
                sd.constant(Nd4j.createFromArray(new long[] {dim / heads}).castTo(shapeType)));
        SDVariable perRow = sd.expandDims(fanout, 4); // [1, F, 1, 1, 1]
        SDVariable memoryRows = tokens(memory);
        SDVariable q = split(linear(tokens(layerNorm(x, prefix + ".norm")), prefix + ".query", dim, dim), headShape);
        SDVariable k = toRows(split(linear(memoryRows, prefix + ".key", dim, dim), memoryHeads), perRow, rowHeads);
        SDVariable v = toRows(split(linear(memoryRows, prefix + ".value", dim, dim), memoryHeads), perRow, rowHeads);
        return x.add(attend(q, k, v, memoryBias, prefix));
    }

    /** x + W2 · GELU(W1 · LN(x)) with an inner width of {@code inner}. */
    public SDVariable feedForward(SDVariable x, int inner, String prefix) {
        SDVariable hidden = GraphOps.gelu(sd, linear(tokens(layerNorm(x, prefix + ".norm")), prefix + ".in", dim, inner));
        return x.add(sd.reshape(adapted(linear(hidden, prefix + ".out", inner, dim), prefix), hiddenShape));
    }

    /** Layer norm over the last dimension (epsilon {@value #LAYER_NORM_EPSILON}). */
    public SDVariable layerNorm(SDVariable x, String name) {
        return GraphOps.layerNorm(sd, x, 2, p.get(name + ".weight", dim), p.get(name + ".bias", dim), LAYER_NORM_EPSILON);
    }

    /** 0 on and below the diagonal, {@link #MASKED} above: the mask of {@link #causalSelfAttention}. */
    public static double[][] causalMask(int length) {
        double[][] mask = new double[length][length];
        for (int i = 0; i < length; i++) {
            for (int j = i + 1; j < length; j++) {
                mask[i][j] = MASKED;
            }
        }
        return mask;
    }

    /** Scaled dot-product attention over heads [B, H, T|S, D/H], merged, projected, adapted: [B, T, D]. */
    private SDVariable attend(SDVariable q, SDVariable k, SDVariable v, SDVariable bias, String prefix) {
        SDVariable scores = sd.mmul(q, k, false, true, false).div(Math.sqrt(dim / (double) heads)).add(bias);
        SDVariable context = sd.mmul(sd.nn.softmax(scores, 3), v);
        SDVariable merged = tokens(sd.permute(context, 0, 2, 1, 3));
        return sd.reshape(adapted(linear(merged, prefix + ".output", dim, dim), prefix), hiddenShape);
    }

    /** Per input [I, H, S, D/H] → per row [I·F, H, S, D/H], each input repeated for its F rows by broadcasting. */
    private SDVariable toRows(SDVariable perInput, SDVariable perRow, SDVariable rowHeads) {
        return sd.reshape(sd.expandDims(perInput, 1).add(perRow), rowHeads);
    }

    /** [N, D] rows → [B, H, T, D/H]. */
    private SDVariable split(SDVariable rows, SDVariable shape) {
        return sd.permute(sd.reshape(rows, shape), 0, 2, 1, 3);
    }

    /** [B, T, …, D] → [B·T, D]. */
    private SDVariable tokens(SDVariable x) {
        return sd.reshape(x, -1, dim);
    }

    /** x · W + b on rows, with the plan's LoRA update where it puts one. */
    private SDVariable linear(SDVariable rows, String name, int in, int out) {
        SDVariable weight = p.get(name + ".weight", in, out);
        SDVariable product = adapters == null ? sd.mmul(rows, weight) : adapters.project(sd, rows, weight, name, in, out, type);
        return product.add(p.get(name + ".bias", out));
    }

    /** A sublayer's output rows, through the plan's Houlsby adapter where it puts one. */
    private SDVariable adapted(SDVariable rows, String prefix) {
        return adapters == null ? rows : adapters.afterSublayer(sd, rows, prefix, dim, type);
    }
}
