package org.expertlm.engine.graph;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a block takes its tensors from, by name: trainable variables for a model being trained,
 * constants for a frozen base. A missing tensor is an error naming it.
 */
@FunctionalInterface
public interface Parameters {

    /** The tensor called {@code name}, of {@code shape}. */
    SDVariable get(String name, long... shape);

    /**
     * Fresh trainable variables, created on first request: biases at zero, norm gains at one, other
     * weights from a normal of standard deviation 0.02 seeded by {@code seed} and the tensor's name.
     */
    static Parameters trainable(SameDiff sd, long seed, DataType type) {
        return (name, shape) -> {
            SDVariable existing = sd.getVariable(name);
            if (existing != null) {
                return existing;
            }
            INDArray init = name.endsWith(".bias") ? Nd4j.zeros(type, shape)
                    : name.endsWith(".norm.weight") ? Nd4j.ones(type, shape)
                    : Nd4j.randn(seed * 31 + name.hashCode(), shape).castTo(type).muli(0.02);
            return sd.var(name, init);
        };
    }
}
