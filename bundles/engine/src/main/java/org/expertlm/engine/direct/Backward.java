package org.expertlm.engine.direct;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Backward passes of the pieces the direct trainer needs beyond products and norms: the folded GELU
 * and scaled dot-product attention. Every result is a fresh array, the caller's.
 */
public final class Backward {

    private static final double TWO_OVER_ROOT_PI = 2 / Math.sqrt(Math.PI);

    private Backward() {
    }

    /** The gradients of attention's query, key and value heads. */
    public record Attention(INDArray query, INDArray key, INDArray value) {
    }

    /** z · (1 + erf z) and, for its backward pass, 1 + erf z. */
    public record Gelu(INDArray output, INDArray onePlusErf) {
    }

    /**
     * z · (1 + erf z) (see {@link BertLayer#gelu}) in a fresh array, keeping 1 + erf z (another) for {@link #gelu(INDArray,
     * Gelu, INDArray)}: libm's scalar erf is the dearest part of both passes, computed once.
     */
    public static Gelu gelu(INDArray z) {
        INDArray onePlusErf = z.dup();
        Nd4j.getExecutioner().exec(new Erf(onePlusErf, onePlusErf));
        onePlusErf.addi(1.0);
        return new Gelu(onePlusErf.mul(z), onePlusErf);
    }

    /**
     * The gradient of z · (1 + erf z) at {@code z} given its output's, {@code dy}:
     * dy ⊙ (1 + erf z + 2/√π · z · e^(−z²)).
     */
    public static INDArray gelu(INDArray z, Gelu forward, INDArray dy) {
        INDArray slope = z.mul(z).negi();
        Transforms.exp(slope, false).muli(z).muli(TWO_OVER_ROOT_PI);
        return slope.addi(forward.onePlusErf()).muli(dy);
    }

    /**
     * The gradients of softmax(q·kᵀ + mask)·v given the context's, for heads [..., Lq, dh] and [..., Lk, dh]
     * (the scale is in q) whose probabilities {@code p} [..., Lq, Lk] the forward pass kept. With
     * {@code key} false the key's gradient is not computed (null): nothing below needs it.
     */
    public static Attention attention(INDArray q, INDArray k, INDArray v, INDArray p, INDArray dContext, boolean key) {
        int rank = p.rank();
        INDArray dp = Nd4j.matmul(dContext, v, false, true, false);
        INDArray dv = Nd4j.matmul(p, dContext, true, false, false);
        // Softmax's backward, row by row: p ⊙ (dp − Σ dp ⊙ p).
        long width = p.size(rank - 1);
        INDArray rows = dp.reshape(-1, width);
        INDArray weighted = rows.mul(p.reshape(-1, width));
        INDArray sums = weighted.sum(true, 1);
        rows.subiColumnVector(sums).muli(p.reshape(-1, width));
        Scratch.free(weighted);
        Scratch.free(sums);
        INDArray dq = Nd4j.matmul(dp, k);
        INDArray dk = key ? Nd4j.matmul(dp, q, true, false, false) : null;
        Scratch.free(dp);
        return new Attention(dq, dk, dv);
    }
}
