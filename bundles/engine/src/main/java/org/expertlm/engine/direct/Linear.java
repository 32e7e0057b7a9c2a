package org.expertlm.engine.direct;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * x · W + b on rows: W [in, out], b a row [1, out].
 *
 * @param prepared whether both arrays are this product's own copies (folded or fused), freed by
 *     {@link #free}; otherwise they are a model's, and stay
 */
public record Linear(INDArray weight, INDArray bias, boolean prepared) {

    /** Over a model's own arrays: weight [in, out], bias [out]. */
    public static Linear sharing(INDArray weight, INDArray bias) {
        return new Linear(weight, bias.reshape(1, bias.length()), false);
    }

    /** Over copies: {@code weight} becomes this product's own, the bias is scaled into a copy. */
    public static Linear owning(INDArray weight, INDArray bias, double biasScale) {
        return new Linear(weight, bias.reshape(1, bias.length()).mul(biasScale), true);
    }

    /** Products side by side, as one (the parts' own copies are freed). */
    public static Linear fused(Linear... parts) {
        INDArray[] weights = new INDArray[parts.length];
        INDArray[] biases = new INDArray[parts.length];
        for (int i = 0; i < parts.length; i++) {
            weights[i] = parts[i].weight;
            biases[i] = parts[i].bias;
        }
        Linear fused = new Linear(Nd4j.hstack(weights), Nd4j.hstack(biases), true);
        for (Linear part : parts) {
            part.free();
        }
        return fused;
    }

    /** The product of {@code rows} [N, in], a fresh array [N, out]. */
    public INDArray apply(INDArray rows) {
        INDArray out = Nd4j.createUninitialized(rows.dataType(), rows.rows(), weight.columns());
        Nd4j.gemm(rows, weight, out, false, false, 1.0, 0.0);
        return out.addiRowVector(bias);
    }

    /** The gradient of the product's input given its output's, {@code dy} [N, out]: dy · Wᵀ, a fresh array [N, in]. */
    public INDArray backward(INDArray dy) {
        INDArray dx = Nd4j.createUninitialized(dy.dataType(), dy.rows(), weight.rows());
        Nd4j.gemm(dy, weight, dx, false, true, 1.0, 0.0);
        return dx;
    }

    /** The elements this product owns (0 over a model's arrays). */
    public long ownElements() {
        return prepared ? weight.length() + bias.length() : 0;
    }

    /** Frees the arrays when they are this product's own. */
    public void free() {
        if (prepared) {
            Scratch.free(weight);
            Scratch.free(bias);
        }
    }
}
