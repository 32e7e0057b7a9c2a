package org.expertlm.composition.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * The steps merge methods are made of, over one tensor's task vectors: weighted sums, TIES's trim to the largest
 * entries, DARE's seeded drop and rescale, and TIES's sign election with its disjoint mean. Sums run in double.
 */
final class TaskVectors {

    private TaskVectors() {
    }

    /** λ · Σ wᵢ·vᵢ. */
    static float[] weightedSum(List<float[]> vectors, double[] weights, double lambda) {
        int n = length(vectors, weights);
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int i = 0; i < vectors.size(); i++) {
                sum += weights[i] * vectors.get(i)[j];
            }
            out[j] = (float) (lambda * sum);
        }
        return out;
    }

    /**
     * A copy of {@code v} keeping only its {@code round(density · n)} entries largest in magnitude (TIES's trim); of
     * entries equal in magnitude at the cut, the first ones are kept, so that the count is exact.
     */
    static float[] trim(float[] v, double density) {
        int keep = (int) Math.round(density * v.length);
        float[] out = new float[v.length];
        if (keep == 0) {
            return out;
        }
        if (keep >= v.length) {
            return v.clone();
        }
        float cut = largest(v, keep);
        int above = 0;
        for (float x : v) {
            if (Math.abs(x) > cut) {
                above++;
            }
        }
        int atCut = keep - above;
        for (int j = 0; j < v.length; j++) {
            float a = Math.abs(v[j]);
            if (a > cut || a == cut && atCut-- > 0) {
                out[j] = v[j];
            }
        }
        return out;
    }

    /**
     * A copy of {@code v} with each entry kept with probability {@code density} and rescaled by 1 / density, the
     * others zero (DARE). The drops are seeded by {@code seed}, the tensor's name and the vector's own values, so that
     * a member drops the same entries wherever it stands in a recipe.
     */
    static float[] dropAndRescale(float[] v, double density, long seed, String tensor) {
        float[] out = new float[v.length];
        if (density == 0) {
            return out;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (long) tensor.hashCode() << 32
                ^ Arrays.hashCode(v));
        double rescale = 1 / density;
        for (int j = 0; j < v.length; j++) {
            if (random.nextDouble() < density) {
                out[j] = (float) (v[j] * rescale);
            }
        }
        return out;
    }

    /** Each vector through {@code step}. */
    static List<float[]> each(List<float[]> vectors, UnaryOperator<float[]> step) {
        List<float[]> out = new ArrayList<>(vectors.size());
        for (float[] v : vectors) {
            out.add(step.apply(v));
        }
        return out;
    }

    /**
     * TIES's merge of (trimmed) vectors: per entry the sign of Σ wᵢ·vᵢ is elected, and the entry is the weighted mean
     * of the members whose entry has that sign (a member with zero there has none), times λ; 0 where none agrees.
     */
    static float[] electedMean(List<float[]> vectors, double[] weights, double lambda) {
        int n = length(vectors, weights);
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double total = 0;
            for (int i = 0; i < vectors.size(); i++) {
                total += weights[i] * vectors.get(i)[j];
            }
            if (total == 0) {
                continue;
            }
            double sum = 0;
            double weight = 0;
            for (int i = 0; i < vectors.size(); i++) {
                float x = vectors.get(i)[j];
                if (x != 0 && (x > 0) == (total > 0)) {
                    sum += weights[i] * x;
                    weight += weights[i];
                }
            }
            out[j] = weight == 0 ? 0 : (float) (lambda * sum / weight);
        }
        return out;
    }

    /** The vectors' common length, checked against the weights. */
    static int length(List<float[]> vectors, double[] weights) {
        if (vectors.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge: give at least one vector");
        }
        if (weights.length != vectors.size()) {
            throw new IllegalArgumentException(weights.length + " weights for " + vectors.size() + " vectors; give one weight each");
        }
        int n = vectors.get(0).length;
        for (float[] v : vectors) {
            if (v.length != n) {
                throw new IllegalArgumentException("vectors of " + n + " and " + v.length + " entries; a tensor merges only with "
                        + "tensors of its own shape");
            }
        }
        return n;
    }

    /** The {@code k}-th largest magnitude of {@code v} (1 ≤ k ≤ n), by quickselect on a copy. */
    private static float largest(float[] v, int k) {
        float[] a = new float[v.length];
        for (int j = 0; j < v.length; j++) {
            a[j] = Math.abs(v[j]);
        }
        int target = v.length - k; // the k-th largest is the (n-k)-th smallest, 0-based
        int lo = 0;
        int hi = a.length - 1;
        SplittableRandom pivots = new SplittableRandom(a.length);
        while (lo < hi) {
            float pivot = a[lo + pivots.nextInt(hi - lo + 1)];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                break;
            }
        }
        return a[target];
    }
}
