package org.expertlm.engine.direct;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A post-layer-norm BERT layer over packed rows [N, D] (the real tokens of several inputs, one after
 * the other), each input attending over its own tokens only: nothing is padded or masked.
 *
 * <p>The products are prepared by whoever builds the layer: query, key and value side by side, the
 * query (weight and bias) scaled by 1/√(D/H), and GELU's 1/√2 folded into the feed-forward products
 * (see {@link #gelu}), so that {@code in} gives z = u/√2 for BERT's u and {@code out} takes GELU(u)·√2.
 */
public record BertLayer(int heads, Linear queryKeyValue, Linear output, Norm attentionNorm, Linear in, Linear out,
        Norm outputNorm) {

    /** The layer applied to {@code x} in place; {@code offsets} [inputs + 1] are where each input's rows start. */
    public INDArray applyInPlace(INDArray x, int[] offsets, Scratch scratch) {
        INDArray qkv = scratch.keep(queryKeyValue.apply(x));
        INDArray context = scratch.keep(Nd4j.createUninitialized(x.dataType(), x.rows(), x.columns()));
        int head = (int) x.columns() / heads;
        for (int i = 0; i < offsets.length - 1; i++) {
            INDArray rows = qkv.get(NDArrayIndex.interval(offsets[i], offsets[i + 1]), NDArrayIndex.all())
                    .reshape(offsets[i + 1] - offsets[i], 3, heads, head);
            attend(part(rows, 0), part(rows, 1), part(rows, 2),
                    context.get(NDArrayIndex.interval(offsets[i], offsets[i + 1]), NDArrayIndex.all()), scratch);
        }
        x.addi(scratch.keep(output.apply(context)));
        attentionNorm.applyInPlace(x);
        INDArray hidden = scratch.keep(gelu(in.apply(x)));
        x.addi(scratch.keep(out.apply(hidden)));
        return outputNorm.applyInPlace(x);
    }

    /** The elements of the layer's own prepared copies. */
    public long ownElements() {
        return queryKeyValue.ownElements() + output.ownElements() + in.ownElements() + out.ownElements();
    }

    /** Frees the layer's own prepared copies. */
    public void free() {
        queryKeyValue.free();
        output.free();
        in.free();
        out.free();
    }

    /** Heads [H, L, dh] of one of the side-by-side parts of rows [L, parts, H, dh]. */
    public static INDArray part(INDArray rows, int part) {
        return rows.get(NDArrayIndex.all(), NDArrayIndex.point(part), NDArrayIndex.all(), NDArrayIndex.all()).permute(1, 0, 2);
    }

    /**
     * softmax(q·kᵀ)·v for heads [H, Lq, dh] and [H, Lk, dh] (the scale is in q), written into {@code into},
     * a view of rows [Lq, D].
     */
    public static void attend(INDArray q, INDArray k, INDArray v, INDArray into, Scratch scratch) {
        INDArray scores = scratch.keep(Nd4j.matmul(q, k, false, true, false));
        Nd4j.exec(new SoftMax(scores, scores, 2));
        INDArray context = scratch.keep(Nd4j.matmul(scores, v));
        // Assigned through the view itself: a reshape of a view may be a copy.
        into.assign(scratch.keep(context.permute(1, 0, 2).dup('c')).reshape(into.rows(), into.columns()));
    }

    /**
     * z · (1 + erf(z)) in place, for z = u/√2: GELU(u) · √2 (BERT's exact GELU, u/2 · (1 + erf(u/√2))), the
     * 1/√2 folded into the product before and the √2 into the one after.
     */
    public static INDArray gelu(INDArray z) {
        INDArray erf = z.dup();
        Nd4j.getExecutioner().exec(new Erf(erf, erf));
        z.muli(erf.addi(1.0));
        Scratch.free(erf);
        return z;
    }
}
