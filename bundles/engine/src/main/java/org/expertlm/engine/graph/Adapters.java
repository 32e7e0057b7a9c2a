package org.expertlm.engine.graph;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The adapter kinds of an expert, as trainable SameDiff variables beside a frozen base.
 *
 * <p>Both start as the identity of what they adapt (the Houlsby up-projection and the LoRA B matrix
 * start at zero), so that an untrained expert is exactly the base model; the other matrix starts
 * from a small seeded normal, so that the same seed gives the same expert. Variables are named
 * {@code <name>.down.weight}, {@code <name>.lora_a} and so on: the names are what an expert's
 * {@code adapter.safetensors} stores.
 */
public final class Adapters {

    private static final double INIT_STD = 0.02;

    private Adapters() {
    }

    /**
     * A Houlsby bottleneck adapter on rows {@code x} [N, dim]: {@code x + up(gelu(down(x)))} with
     * down [dim, bottleneck] and up [bottleneck, dim], each with a bias.
     */
    public static SDVariable houlsby(SameDiff sd, SDVariable x, String name, int dim, int bottleneck, long seed, DataType type) {
        if (bottleneck < 1 || bottleneck > dim) {
            throw new IllegalArgumentException("adapter " + name + ": bottleneck " + bottleneck + " must be between 1 and " + dim);
        }
        SDVariable down = sd.var(name + ".down.weight", normal(seed, name, type, dim, bottleneck));
        SDVariable downBias = sd.var(name + ".down.bias", Nd4j.zeros(type, bottleneck));
        SDVariable up = sd.var(name + ".up.weight", Nd4j.zeros(type, bottleneck, dim));
        SDVariable upBias = sd.var(name + ".up.bias", Nd4j.zeros(type, dim));
        SDVariable hidden = GraphOps.gelu(sd, sd.mmul(x, down).add(downBias));
        return x.add(sd.mmul(hidden, up).add(upBias));
    }

    /**
     * LoRA on a frozen projection: {@code x · W + (alpha / rank) · (x · A) · B} for rows x [N, in],
     * W [in, out], A [in, rank], B [rank, out].
     */
    public static SDVariable lora(SameDiff sd, SDVariable x, SDVariable frozenWeight, String name, int in, int out, int rank,
            double alpha, long seed, DataType type) {
        if (rank < 1 || rank > Math.min(in, out)) {
            throw new IllegalArgumentException("LoRA " + name + ": rank " + rank + " must be between 1 and " + Math.min(in, out));
        }
        SDVariable a = sd.var(name + ".lora_a", normal(seed, name, type, in, rank));
        SDVariable b = sd.var(name + ".lora_b", Nd4j.zeros(type, rank, out));
        return sd.mmul(x, frozenWeight).add(sd.mmul(sd.mmul(x, a), b).mul(alpha / rank));
    }

    /** A seeded normal matrix; the adapter's name is mixed into the seed so that each matrix differs. */
    private static INDArray normal(long seed, String name, DataType type, long rows, long columns) {
        return Nd4j.randn(seed * 31 + name.hashCode(), new long[] {rows, columns}).castTo(type).muli(INIT_STD);
    }
}
