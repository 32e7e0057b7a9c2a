package org.expertlm.engine.tensor;

import java.util.Arrays;

import org.expertlm.api.AdapterTensors;

/**
 * A float tensor held in Java: its shape and its values in row-major order.
 *
 * @param shape the dimensions
 * @param values shape's product of values
 */
public record FloatTensor(long[] shape, float[] values) {

    public FloatTensor {
        long count = count(shape);
        if (count != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count + " values, not " + values.length);
        }
    }

    /** The number of values a shape holds; negative dimensions are refused. */
    public static long count(long[] shape) {
        return AdapterTensors.count(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
