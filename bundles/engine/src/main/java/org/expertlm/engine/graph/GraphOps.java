package org.expertlm.engine.graph;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Operations the models build from SameDiff's primitives. */
public final class GraphOps {

    private GraphOps() {
    }

    /**
     * Layer norm over {@code lastDimension}, the last dimension of x ([N, D] rows: 1; [B, T, D]: 2):
     * (x - mean) / sqrt(variance + epsilon) · gain + bias.
     *
     * <p>Written with divisions and a bias addition rather than multiplications: in ND4J 1.0.0-M2.1 the
     * backward pass of a broadcast multiplication ({@code multiply_bp}) is several times slower than that
     * of a broadcast division, and with multiplications the encoder's four layer norms took a fifth of an
     * expert's training step. Dividing by 1 / gain is multiplying by the gain (a zero gain gives an
     * infinite divisor and still a zero output). ND4J's fused {@code layer_norm} is no faster here and
     * has no epsilon under its square root.
     */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, int lastDimension, SDVariable gain, SDVariable bias,
            double epsilon) {
        SDVariable mean = sd.mean(x, true, lastDimension);
        SDVariable centred = x.sub(mean);
        SDVariable deviation = sd.math.sqrt(sd.mean(centred.mul(centred), true, lastDimension).add(epsilon));
        return sd.nn.biasAdd(centred.div(deviation).div(sd.math.reciprocal(gain)), bias, false);
    }

    /** GELU with erf, as BERT defines it (not the tanh approximation): x/2 · (1 + erf(x/√2)). */
    public static SDVariable gelu(SameDiff sd, SDVariable x) {
        return x.mul(0.5).mul(sd.math.erf(x.div(Math.sqrt(2.0))).add(1.0));
    }
}
