package org.expertlm.composition.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * The steps merge methods are made of, over one tensor's task vectors: weighted sums, TIES's trim to the largest
 * entries, DARE's seeded drop and rescale, and TIES's sign election with its disjoint mean.
 */
final class TaskVectors {

    /** The radix select's bucket counts, one array a thread: a merge selects on every tensor of every member. */
    private static final ThreadLocal<int[]> COUNTS = ThreadLocal.withInitial(() -> new int[1 << 16]);

    /** Entries a block of TIES's election: its three float arrays stay in the first-level cache. */
    private static final int BLOCK = 2048;

    /** A radix select's bucket of at most this many entries is sorted rather than counted a second time. */
    private static final int SORTED_BUCKET = 4096;

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
                ^ contentHash(v));
        // Four draws from each random long, 16 bits each: a keep rate resolved to 1/65536, a quarter of the draws.
        long keepBelow = Math.round(density * 65_536);
        float rescale = (float) (1 / density);
        long bits = 0;
        for (int j = 0; j < v.length; j++) {
            if ((j & 3) == 0) {
                bits = random.nextLong();
            }
            // All ones when the draw is below the keep rate, else zero: no branch to mispredict on a coin toss.
            int keep = (int) (((bits & 0xFFFF) - keepBelow) >> 63);
            out[j] = Float.intBitsToFloat(Float.floatToRawIntBits(v[j] * rescale) & keep);
            bits >>>= 16;
        }
        return out;
    }

    /**
     * A hash of every value of {@code v}, in four interleaved lanes so that the multiplications do not wait on each
     * other (one chain, as {@link Arrays#hashCode(float[])} makes, took longer than the drops it seeds).
     */
    static long contentHash(float[] v) {
        long h0 = 1;
        long h1 = 2;
        long h2 = 3;
        long h3 = 4;
        int j = 0;
        for (; j + 4 <= v.length; j += 4) {
            h0 = 31 * h0 + Float.floatToIntBits(v[j]);
            h1 = 31 * h1 + Float.floatToIntBits(v[j + 1]);
            h2 = 31 * h2 + Float.floatToIntBits(v[j + 2]);
            h3 = 31 * h3 + Float.floatToIntBits(v[j + 3]);
        }
        for (; j < v.length; j++) {
            h0 = 31 * h0 + Float.floatToIntBits(v[j]);
        }
        return ((h0 * 0x9E3779B97F4A7C15L + h1) * 0x9E3779B97F4A7C15L + h2) * 0x9E3779B97F4A7C15L + h3 + v.length;
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
        return trimmedElectedMean(vectors, weights, 1, lambda);
    }

    /**
     * TIES whole: each member trimmed to its {@code round(density · n)} largest entries (of entries equal in magnitude
     * at the cut, the first ones, so that the count is exact), then {@link #electedMean}. The entries go through in
     * blocks that stay in the first-level cache, member by member, and every test is a mask of bits rather than a
     * branch: whether an entry is kept, or agrees with the elected sign, is as good as a coin toss to a branch
     * predictor. Sums run in float.
     */
    static float[] trimmedElectedMean(List<float[]> vectors, double[] weights, double density, double lambda) {
        int n = length(vectors, weights);
        int k = vectors.size();
        float[][] v = new float[k][];
        int[] cut = new int[k];
        for (int i = 0; i < k; i++) {
            Cut c = Cut.of(vectors.get(i), density);
            v[i] = vectors.get(i);
            cut[i] = Float.floatToRawIntBits(c.magnitude);
            if (c.atCut < c.equal) {
                // Only some of the entries at the cut are kept: trimmed here, so that the masks below keep all of it.
                v[i] = trimmed(v[i], c);
                cut[i] = 0;
            }
        }
        float[] out = new float[n];
        float[] total = new float[BLOCK];
        float[] sum = new float[BLOCK];
        float[] weight = new float[BLOCK];
        float l = (float) lambda;
        for (int start = 0; start < n; start += BLOCK) {
            int length = Math.min(BLOCK, n - start);
            Arrays.fill(total, 0);
            Arrays.fill(sum, 0);
            Arrays.fill(weight, 0);
            for (int i = 0; i < k; i++) {
                float[] x = v[i];
                int c = cut[i];
                float w = (float) weights[i];
                for (int j = 0; j < length; j++) {
                    int bits = Float.floatToRawIntBits(x[start + j]);
                    total[j] += w * Float.intBitsToFloat(bits & atLeast(bits & 0x7FFF_FFFF, c));
                }
            }
            for (int i = 0; i < k; i++) {
                float[] x = v[i];
                int c = cut[i];
                float w = (float) weights[i];
                int wBits = Float.floatToRawIntBits(w);
                for (int j = 0; j < length; j++) {
                    int bits = Float.floatToRawIntBits(x[start + j]);
                    int t = Float.floatToRawIntBits(total[j]);
                    int magnitude = bits & 0x7FFF_FFFF;
                    // Kept, non-zero, the total non-zero, and of the total's sign.
                    int agrees = atLeast(magnitude, c) & atLeast(magnitude, 1) & atLeast(t & 0x7FFF_FFFF, 1) & ~((bits ^ t) >> 31);
                    sum[j] += w * Float.intBitsToFloat(bits & agrees);
                    weight[j] += Float.intBitsToFloat(wBits & agrees);
                }
            }
            for (int j = 0; j < length; j++) {
                out[start + j] = weight[j] == 0 ? 0 : l * sum[j] / weight[j];
            }
        }
        return out;
    }

    /** All ones when {@code a ≥ b}, else zero, for non-negative {@code a} and {@code b} (so that a − b cannot overflow). */
    private static int atLeast(int a, int b) {
        return ~((a - b) >> 31);
    }

    /** A copy of {@code v} with only what {@code cut} keeps: entries above its magnitude, and its first ones at it. */
    private static float[] trimmed(float[] v, Cut cut) {
        float[] out = new float[v.length];
        int atCut = cut.atCut;
        for (int j = 0; j < v.length; j++) {
            float a = Math.abs(v[j]);
            if (a > cut.magnitude || a == cut.magnitude && atCut-- > 0) {
                out[j] = v[j];
            }
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
     * Where a trim to the {@code keep} largest magnitudes cuts: entries above {@code magnitude} are kept, and of those
     * equal to it the first {@code atCut}. With nothing to keep the cut lies above every magnitude (infinity, none at
     * it); with everything, at zero and every entry at it.
     */
    private record Cut(float magnitude, int atCut, int equal) {

        static Cut of(float[] v, double density) {
            int keep = (int) Math.round(density * v.length);
            if (keep <= 0) {
                return new Cut(Float.POSITIVE_INFINITY, 0, 0);
            }
            if (keep >= v.length) {
                return new Cut(0, v.length, v.length);
            }
            return select(v, keep);
        }

        /**
         * The {@code k}-th largest magnitude of {@code v} (1 ≤ k &lt; n), by a radix select on the bits of the
         * magnitudes (for non-negative floats, their order as integers): a histogram of the high 16 bits finds the
         * bucket; its few entries are then sorted (or, when many, counted by their low 16 bits). Linear passes, where
         * sorting or quickselect would move all the values about.
         */
        private static Cut select(float[] v, int k) {
            int[] counts = COUNTS.get();
            int highest = 0;
            for (float x : v) {
                int bits = Float.floatToRawIntBits(x) & 0x7FFF_FFFF;
                counts[bits >>> 16]++;
                highest |= bits;
            }
            int high = highest >>> 16;
            int remaining = k;
            while (counts[high] < remaining) {
                remaining -= counts[high--];
            }
            int inBucket = counts[high];
            Arrays.fill(counts, 0, (highest >>> 16) + 1, 0);
            // remaining: how many of the bucket's entries, largest first, are kept.
            if (inBucket <= SORTED_BUCKET) {
                int[] bucket = new int[inBucket];
                int b = 0;
                for (float x : v) {
                    int bits = Float.floatToRawIntBits(x) & 0x7FFF_FFFF;
                    if (bits >>> 16 == high) {
                        bucket[b++] = bits;
                    }
                }
                Arrays.sort(bucket);
                int cut = bucket[inBucket - remaining];
                int above = 0;
                for (int i = inBucket - 1; bucket[i] > cut; i--) {
                    above++;
                }
                int equal = 0;
                for (int i = inBucket - remaining; i >= 0 && bucket[i] == cut; i--) {
                    equal++;
                }
                return new Cut(Float.intBitsToFloat(cut), remaining - above, equal + remaining - above - 1);
            }
            for (float x : v) {
                int bits = Float.floatToRawIntBits(x) & 0x7FFF_FFFF;
                if (bits >>> 16 == high) {
                    counts[bits & 0xFFFF]++;
                }
            }
            int low = counts.length - 1;
            while (counts[low] < remaining) {
                remaining -= counts[low--];
            }
            int equal = counts[low];
            Arrays.fill(counts, 0);
            return new Cut(Float.intBitsToFloat(high << 16 | low), remaining, equal);
        }
    }
}
