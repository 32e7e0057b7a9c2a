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
        return product(dy, weight, false, true, 1.0);
    }

    /**
     * alpha · op(a) · op(b) for matrices, op a transpose where asked, into a fresh row-major array: straight into
     * BLAS ({@code INDArray.mmul} may copy an operand first, which on the output layer's table cost more than the product).
     */
    public static INDArray product(INDArray a, INDArray b, boolean transposeA, boolean transposeB, double alpha) {
        INDArray out = Nd4j.createUninitialized(a.dataType(), transposeA ? a.columns() : a.rows(), transposeB ? b.rows() : b.columns());
        Nd4j.gemm(a, b, out, transposeA, transposeB, alpha, 0.0);
        return out;
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
