package org.expertlm.engine.direct;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A model's arrays by name, from which products and norms are prepared: a product's weight is the
 * model's own array unless something is folded into it (an update, a scale), then a copy.
 */
@FunctionalInterface
public interface ModelWeights {

    /** The array called {@code name}, or null when the model has none. */
    INDArray array(String name);

    /** An update to add to weight {@code name + ".weight"} (a LoRA delta, a fresh array), or null for none. */
    default INDArray update(String name) {
        return null;
    }

    /**
     * The product {@code name} ({@code .weight} [in, out], {@code .bias} [out]) with its update folded in,
     * the weight scaled by {@code weightScale} and the bias by {@code biasScale}.
     */
    default Linear linear(String name, double weightScale, double biasScale) {
        INDArray weight = required(name + ".weight");
        INDArray bias = required(name + ".bias");
        INDArray update = update(name);
        if (update == null && weightScale == 1 && biasScale == 1) {
            return Linear.sharing(weight, bias);
        }
        INDArray own = weight.dup('c');
        if (update != null) {
            own.addi(update);
            Scratch.free(update);
        }
        return Linear.owning(own.muli(weightScale), bias, biasScale);
    }

    /** The product before a GELU, giving z = u/√2 for its u (see {@link BertLayer#gelu}). */
    default Linear beforeGelu(String name) {
        return linear(name, Math.sqrt(0.5), Math.sqrt(0.5));
    }

    /** The product after a GELU, taking GELU(u)·√2 (the weight scaled by 1/√2, the bias as it is). */
    default Linear afterGelu(String name) {
        return linear(name, Math.sqrt(0.5), 1);
    }

    /** A query projection with the attention scale 1/√(head width) folded into weight and bias. */
    default Linear query(String name, int heads) {
        int dim = (int) required(name + ".weight").rows();
        double scale = 1 / Math.sqrt(dim / (double) heads);
        return linear(name, scale, scale);
    }

    /** The layer norm {@code name} ({@code .weight} and {@code .bias}). */
    default Norm norm(String name, double epsilon) {
        return Norm.of(required(name + ".weight"), required(name + ".bias"), epsilon);
    }

    /** The array called {@code name}; its absence is an error naming it. */
    default INDArray required(String name) {
        INDArray a = array(name);
        if (a == null) {
            throw new IllegalArgumentException("the model has no weight '" + name + "'");
        }
        return a;
    }

    /**
     * The BERT layer under {@code prefix} (MiniLM's names: {@code attention.self.query}, …,
     * {@code output.LayerNorm}) prepared as {@link BertLayer} needs it.
     */
    default BertLayer bertLayer(String prefix, int heads, double epsilon) {
        return new BertLayer(heads,
                Linear.fused(query(prefix + "attention.self.query", heads), linear(prefix + "attention.self.key", 1, 1),
                        linear(prefix + "attention.self.value", 1, 1)),
                linear(prefix + "attention.output.dense", 1, 1), norm(prefix + "attention.output.LayerNorm", epsilon),
                beforeGelu(prefix + "intermediate.dense"), afterGelu(prefix + "output.dense"),
                norm(prefix + "output.LayerNorm", epsilon));
    }
}
