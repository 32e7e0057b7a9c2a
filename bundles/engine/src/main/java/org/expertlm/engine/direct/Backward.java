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

    /**
     * The gradient of z · (1 + erf(z)) (see {@link BertLayer#gelu}) at {@code z}, given its output's, {@code dy}:
     * dy ⊙ (1 + erf(z) + 2/√π · z · e^(−z²)).
     */
    public static INDArray gelu(INDArray z, INDArray dy) {
        INDArray slope = z.mul(z).negi();
        Transforms.exp(slope, false).muli(z).muli(TWO_OVER_ROOT_PI);
        INDArray erf = z.dup();
        Nd4j.getExecutioner().exec(new Erf(erf, erf));
        slope.addi(erf).addi(1.0).muli(dy);
        Scratch.free(erf);
        return slope;
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
