package org.expertlm.engine.tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The merge primitives of expert composition: weighted sums of tensor sets that share names and
 * shapes (the uniform average of the paper's top-k merge is the case of equal weights), and LoRA
 * deltas folded into their base matrix, W + s·A·B. Sums accumulate in double precision.
 */
public final class TensorSets {

    private TensorSets() {
    }

    /** Σ weights[i] · sets[i], tensor by tensor; every set must hold the same names with the same shapes. */
    public static Map<String, FloatTensor> weightedSum(List<Map<String, FloatTensor>> sets, double[] weights) {
        Objects.requireNonNull(sets, "sets");
        if (sets.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge: expected at least one tensor set");
        }
        if (weights.length != sets.size()) {
            throw new IllegalArgumentException(sets.size() + " tensor sets but " + weights.length + " weights; expected one weight per set");
        }
        Map<String, FloatTensor> first = sets.get(0);
        for (int i = 1; i < sets.size(); i++) {
            requireSameLayout(first, sets.get(i), i);
        }
        Map<String, FloatTensor> merged = new TreeMap<>();
        for (Map.Entry<String, FloatTensor> e : first.entrySet()) {
            double[] sum = new double[e.getValue().values().length];
            for (int i = 0; i < sets.size(); i++) {
                float[] values = sets.get(i).get(e.getKey()).values();
                for (int k = 0; k < sum.length; k++) {
                    sum[k] += weights[i] * values[k];
                }
            }
            float[] out = new float[sum.length];
            for (int k = 0; k < out.length; k++) {
                out[k] = (float) sum[k];
            }
            merged.put(e.getKey(), new FloatTensor(e.getValue().shape().clone(), out));
        }
        return merged;
    }

    /** The uniform average of the sets (the paper's merge of the top-k experts). */
    public static Map<String, FloatTensor> average(List<Map<String, FloatTensor>> sets) {
        double[] weights = new double[sets.size()];
        Arrays.fill(weights, 1.0 / sets.size());
        return weightedSum(sets, weights);
    }

    /** W + scale · A · B for W [in, out], A [in, r], B [r, out]: a LoRA adapter folded into its matrix. */
    public static FloatTensor loraMerged(FloatTensor w, FloatTensor a, FloatTensor b, double scale) {
        long[] ws = w.shape();
        long[] as = a.shape();
        long[] bs = b.shape();
        if (ws.length != 2 || as.length != 2 || bs.length != 2 || as[0] != ws[0] || bs[1] != ws[1] || as[1] != bs[0]) {
            throw new IllegalArgumentException("LoRA shapes do not fit: W " + Arrays.toString(ws) + ", A " + Arrays.toString(as)
                    + ", B " + Arrays.toString(bs) + "; expected W [in, out], A [in, r], B [r, out]");
        }
        int in = (int) ws[0];
        int out = (int) ws[1];
        int rank = (int) as[1];
        float[] result = w.values().clone();
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                double dot = 0;
                for (int r = 0; r < rank; r++) {
                    dot += (double) a.values()[i * rank + r] * b.values()[r * out + j];
                }
                result[i * out + j] += (float) (scale * dot);
            }
        }
        return new FloatTensor(ws.clone(), result);
    }

    private static void requireSameLayout(Map<String, FloatTensor> first, Map<String, FloatTensor> other, int index) {
        if (!first.keySet().equals(other.keySet())) {
            throw new IllegalArgumentException("tensor set " + index + " holds " + new TreeMap<>(other).keySet()
                    + " but set 0 holds " + new TreeMap<>(first).keySet() + "; only sets with the same tensors can be merged");
        }
        for (Map.Entry<String, FloatTensor> e : first.entrySet()) {
            long[] shape = other.get(e.getKey()).shape();
            if (!Arrays.equals(e.getValue().shape(), shape)) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape " + Arrays.toString(shape) + " in set "
                        + index + " but " + Arrays.toString(e.getValue().shape()) + " in set 0");
            }
        }
    }
}
