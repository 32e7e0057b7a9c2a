package org.expertlm.engine.direct;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A post-layer-norm BERT layer over packed rows [N, D] (the real tokens of several inputs, one after
 * the other), each input attending over its own tokens only: the products run on the packed rows, and only
 * the attention pads the inputs to the longest one, masking the padding.
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
        if (offsets.length == 2) {
            INDArray rows = qkv.reshape(x.rows(), 3, heads, x.columns() / heads);
            attend(part(rows, 0), part(rows, 1), part(rows, 2), context, scratch);
        } else {
            attendPadded(qkv, offsets, context, scratch);
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
     * The attention of several inputs at once: their rows of {@code qkv} [N, 3D] copied into one padded batch [B,
     * L, 3D] (L the longest input's length), every head of every input in one product, the padding's keys masked out
     * of the softmax, and each input's context rows written back into {@code into} [N, D]. Per input, the same
     * numbers as {@link #attend}: one op sequence for the batch instead of one per input (bench/encoder).
     */
    private void attendPadded(INDArray qkv, int[] offsets, INDArray into, Scratch scratch) {
        int inputs = offsets.length - 1;
        int width = (int) into.columns();
        int head = width / heads;
        int longest = 0;
        for (int i = 0; i < inputs; i++) {
            longest = Math.max(longest, offsets[i + 1] - offsets[i]);
        }
        INDArray padded = scratch.keep(Nd4j.zeros(qkv.dataType(), inputs, longest, 3L * width));
        INDArray mask = scratch.keep(Nd4j.zeros(qkv.dataType(), inputs, 1, longest));
        for (int i = 0; i < inputs; i++) {
            int length = offsets[i + 1] - offsets[i];
            padded.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, length), NDArrayIndex.all())
                    .assign(qkv.get(NDArrayIndex.interval(offsets[i], offsets[i + 1]), NDArrayIndex.all()));
            if (length < longest) {
                // exp of a score this low is 0 in float: a padded key takes no part in the softmax.
                mask.get(NDArrayIndex.point(i), NDArrayIndex.point(0), NDArrayIndex.interval(length, longest)).assign(-1e9);
            }
        }
        INDArray parts = padded.reshape(inputs, longest, 3, heads, head);
        INDArray q = heads(parts, 0, inputs, longest, scratch);
        INDArray k = heads(parts, 1, inputs, longest, scratch);
        INDArray v = heads(parts, 2, inputs, longest, scratch);
        INDArray scores = scratch.keep(Nd4j.matmul(q, k, false, true, false)); // [B·H, L, L]
        scores.reshape(inputs, (long) heads * longest, longest).addi(mask);
        Nd4j.exec(new SoftMax(scores, scores, 2));
        INDArray context = scratch.keep(Nd4j.matmul(scores, v)) // [B·H, L, dh] to [B, L, D]
                .reshape(inputs, heads, longest, head).permute(0, 2, 1, 3);
        INDArray rows = scratch.keep(context.dup('c')).reshape(inputs, longest, width);
        for (int i = 0; i < inputs; i++) {
            into.get(NDArrayIndex.interval(offsets[i], offsets[i + 1]), NDArrayIndex.all())
                    .assign(rows.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, offsets[i + 1] - offsets[i]),
                            NDArrayIndex.all()));
        }
    }

    /** One of the side-by-side parts of padded rows [B, L, parts, H, dh] as heads [B·H, L, dh], in a fresh array. */
    private INDArray heads(INDArray parts, int part, int inputs, int longest, Scratch scratch) {
        INDArray view = parts.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(part), NDArrayIndex.all(),
                NDArrayIndex.all()).permute(0, 2, 1, 3);
        return scratch.keep(view.dup('c')).reshape((long) inputs * heads, longest, parts.size(4));
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
