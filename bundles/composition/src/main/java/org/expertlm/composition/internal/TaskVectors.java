package org.expertlm.composition.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * The steps merge methods are made of, over one tensor's task vectors: weighted sums, TIES's trim to the largest
 * entries, DARE's seeded drop and rescale, and TIES's sign election with its disjoint mean. TIES's sums run in double.
 */
final class TaskVectors {

    /** The radix select's bucket counts, one array a thread: a merge selects on every tensor of every member. */
    private static final ThreadLocal<int[]> COUNTS = ThreadLocal.withInitial(() -> new int[1 << 16]);

    private TaskVectors() {
    }

    /** λ · Σ wᵢ·vᵢ, summed member by member in float (each pass a vectorisable loop). */
    static float[] weightedSum(List<float[]> vectors, double[] weights, double lambda) {
        int n = length(vectors, weights);
        float[] out = new float[n];
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            float w = (float) (lambda * weights[i]);
            for (int j = 0; j < n; j++) {
                out[j] += w * v[j];
            }
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
        // Four draws from each random long, 16 bits each: a keep rate resolved to 1/65536, a quarter of the draws.
        long keepBelow = Math.round(density * 65_536);
        float rescale = (float) (1 / density);
        long bits = 0;
        for (int j = 0; j < v.length; j++) {
            if ((j & 3) == 0) {
                bits = random.nextLong();
            }
            if ((bits & 0xFFFF) < keepBelow) {
                out[j] = v[j] * rescale;
            }
            bits >>>= 16;
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
        double[] total = new double[n];
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            double w = weights[i];
            for (int j = 0; j < n; j++) {
                total[j] += w * v[j];
            }
        }
        double[] sum = new double[n];
        double[] weight = new double[n];
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            double w = weights[i];
            for (int j = 0; j < n; j++) {
                float x = v[j];
                if (x > 0 && total[j] > 0 || x < 0 && total[j] < 0) {
                    sum[j] += w * x;
                    weight[j] += w;
                }
            }
        }
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            out[j] = weight[j] == 0 ? 0 : (float) (lambda * sum[j] / weight[j]);
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

    /**
     * The {@code k}-th largest magnitude of {@code v} (1 ≤ k ≤ n), by a two-pass radix select on the bits of the
     * magnitudes (for non-negative floats, their order as integers): the high 16 bits find the bucket, the low 16 the
     * value. Two linear passes, where sorting or quickselect would move the values about.
     */
    private static float largest(float[] v, int k) {
        int[] counts = COUNTS.get();
        Arrays.fill(counts, 0);
        for (float x : v) {
            counts[Float.floatToRawIntBits(Math.abs(x)) >>> 16]++;
        }
        int high = counts.length - 1;
        int remaining = k;
        while (counts[high] < remaining) {
            remaining -= counts[high--];
        }
        Arrays.fill(counts, 0);
        for (float x : v) {
            int bits = Float.floatToRawIntBits(Math.abs(x));
            if (bits >>> 16 == high) {
                counts[bits & 0xFFFF]++;
            }
        }
        int low = counts.length - 1;
        while (counts[low] < remaining) {
            remaining -= counts[low--];
        }
        return Float.intBitsToFloat(high << 16 | low);
    }
}
