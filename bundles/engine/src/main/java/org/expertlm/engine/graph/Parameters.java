package org.expertlm.engine.graph;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.tensor.FloatTensor;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
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

    /**
     * Frozen tensors as constants of {@code sd} (a base model under adapters); a missing tensor or a
     * shape other than the block asks for is an error naming it.
     */
    static Parameters frozen(SameDiff sd, Map<String, FloatTensor> tensors, DataType type) {
        return (name, shape) -> {
            SDVariable existing = sd.getVariable(name);
            if (existing != null) {
                return existing;
            }
            FloatTensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("the base model has no tensor '" + name + "'");
            }
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + "; the decoder needs " + Arrays.toString(shape));
            }
            return sd.constant(name, Nd4j.create(t.values(), t.shape(), 'c').castTo(type));
        };
    }

    /** Trainable variables that start from {@code tensors} (a full fine-tune of a base model). */
    static Parameters startingFrom(SameDiff sd, Map<String, FloatTensor> tensors, DataType type) {
        Parameters frozen = frozen(SameDiff.create(), tensors, type);
        return (name, shape) -> {
            SDVariable existing = sd.getVariable(name);
            if (existing != null) {
                return existing;
            }
            return sd.var(name, frozen.get(name, shape).getArr().dup());
        };
    }

    /**
     * The arrays of {@code source}'s variables and constants of the same names, in {@code sd} as the same
     * kind (a graph built again over another graph's weights: nothing is copied).
     */
    static Parameters sharing(SameDiff sd, SameDiff source) {
        return (name, shape) -> {
            SDVariable existing = sd.getVariable(name);
            if (existing != null) {
                return existing;
            }
            SDVariable original = source.getVariable(name);
            if (original == null || !Arrays.equals(original.getArr().shape(), shape)) {
                throw new IllegalArgumentException("the graph to share has no tensor '" + name + "' of shape " + Arrays.toString(shape));
            }
            return original.getVariableType() == VariableType.VARIABLE ? sd.var(name, original.getArr())
                    : sd.constant(name, original.getArr());
        };
    }

    /** The current values of the named variables of {@code sd}, copied into Java (a checkpoint, a best epoch, a model to write). */
    public static Map<String, FloatTensor> snapshot(SameDiff sd, List<String> names) {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (String name : names) {
            tensors.put(name, tensor(sd.getVariable(name).getArr()));
        }
        return tensors;
    }

    /** An array's values, copied into Java in row-major order as floats. */
    public static FloatTensor tensor(INDArray a) {
        return new FloatTensor(a.shape(), a.castTo(DataType.FLOAT).dup('c').data().asFloat());
    }
}
