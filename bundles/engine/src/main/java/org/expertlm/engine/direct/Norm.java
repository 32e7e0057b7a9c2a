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
}
