package org.expertlm.engine.direct;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer norm over each row, as {@code GraphOps.layerNorm}: (x - mean) / sqrt(variance + epsilon) · gain + bias.
 *
 * @param gain a row [1, D]
 * @param bias a row [1, D]
 */
public record Norm(INDArray gain, INDArray bias, double epsilon) {

    /** Over a model's gain and bias [D]. */
    public static Norm of(INDArray gain, INDArray bias, double epsilon) {
        return new Norm(gain.reshape(1, gain.length()), bias.reshape(1, bias.length()), epsilon);
    }

    /** Normalises the rows of {@code x} [N, D] in place; returns it. */
    public INDArray applyInPlace(INDArray x) {
        INDArray mean = x.mean(true, 1);
        x.subiColumnVector(mean);
        INDArray squares = x.mul(x);
        INDArray deviation = Transforms.sqrt(squares.mean(true, 1).addi(epsilon), false);
        x.diviColumnVector(deviation).muliRowVector(gain).addiRowVector(bias);
        Scratch.free(mean);
        Scratch.free(squares);
        Scratch.free(deviation);
        return x;
    }

    /** The rows of {@code x} normalised, in a fresh array. */
    public INDArray apply(INDArray x) {
        return applyInPlace(x.dup());
    }

    /**
     * What a backward pass through the norm needs: the normalised rows before gain and bias, x̂ [N, D],
     * and each row's deviation, sqrt(variance + epsilon) [N, 1]. Both are fresh arrays, the caller's.
     */
    public record Saved(INDArray normalised, INDArray deviation) {

        public void free() {
            Scratch.free(normalised);
            Scratch.free(deviation);
        }
    }

    /** The rows of {@code x} normalised in place, as {@link #applyInPlace}, keeping what {@link #backward} needs. */
    public Saved applyInPlaceSaving(INDArray x) {
        INDArray mean = x.mean(true, 1);
        x.subiColumnVector(mean);
        INDArray squares = x.mul(x);
        INDArray deviation = Transforms.sqrt(squares.mean(true, 1).addi(epsilon), false);
        x.diviColumnVector(deviation);
        INDArray normalised = x.dup();
        x.muliRowVector(gain).addiRowVector(bias);
        Scratch.free(mean);
        Scratch.free(squares);
        return new Saved(normalised, deviation);
    }

    /**
     * The gradient of the norm's input given its output's, {@code dy} [N, D], in a fresh array (gain and bias
     * are frozen: theirs is not computed): (g⊙dy − mean(g⊙dy) − x̂·mean(g⊙dy⊙x̂)) / deviation, row by row.
     */
    public INDArray backward(INDArray dy, Saved saved) {
        INDArray dx = dy.mulRowVector(gain);
        INDArray product = dx.mul(saved.normalised);
        INDArray projection = product.mean(true, 1);
        INDArray mean = dx.mean(true, 1);
        product.assign(saved.normalised).muliColumnVector(projection);
        dx.subiColumnVector(mean).subi(product).diviColumnVector(saved.deviation);
        Scratch.free(product);
        Scratch.free(projection);
        Scratch.free(mean);
        return dx;
    }
}
