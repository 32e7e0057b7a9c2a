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

    /** Entries a block of TIES's election (its six arrays stay in the first-level cache) and of DARE's drops; a multiple of 4. */
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
        // Four draws from each random long, 16 bits each: a keep rate resolved to 1/65536, a quarter of the draws. A
        // block's draws are made first, each stored as how far it lies below the keep rate (a float, positive: kept);
        // then the block is kept or dropped by a product with a 0-or-1: no branch to mispredict on a coin toss, and a
        // loop the compiler vectorises (it vectorises neither int-to-float conversions nor loops over arrays indexed at
        // other offsets, hence the float draws and the copies).
        int keepBelow = (int) Math.round(density * 65_536);
        float rescale = (float) (1 / density);
        float[] below = new float[BLOCK];
        float[] block = new float[BLOCK];
        for (int start = 0; start < v.length; start += BLOCK) {
            int length = Math.min(BLOCK, v.length - start);
            for (int j = 0; j < length; j += 4) {
                long bits = random.nextLong();
                below[j] = keepBelow - ((int) bits & 0xFFFF);
                below[j + 1] = keepBelow - ((int) (bits >>> 16) & 0xFFFF);
                below[j + 2] = keepBelow - ((int) (bits >>> 32) & 0xFFFF);
                below[j + 3] = keepBelow - (int) (bits >>> 48);
            }
            System.arraycopy(v, start, block, 0, length);
            for (int j = 0; j < length; j++) {
                block[j] = block[j] * rescale * positive(below[j]);
            }
            System.arraycopy(block, 0, out, start, length);
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
     * at the cut, the first ones, so that the count is exact), then {@link #electedMean}. One pass over each member's
     * entries, in blocks that stay in the first-level cache, sums for both signs at once (the weighted sums and weights
     * of the positive entries and of the negative ones, and the total that elects between them); every test is a
     * product with a 0-or-1 {@link #positive} made of float minimum and maximum, so that the compiler vectorises the
     * loops (a branch would be a coin toss to the predictor, and Java 17 vectorises no moves between float and int
     * bits). The float sums add the same terms in the same order as the plain method.
     */
    static float[] trimmedElectedMean(List<float[]> vectors, double[] weights, double density, double lambda) {
        int n = length(vectors, weights);
        int k = vectors.size();
        float[][] v = new float[k][];
        float[] cut = new float[k];
        for (int i = 0; i < k; i++) {
            Cut c = Cut.of(vectors.get(i), density);
            v[i] = vectors.get(i);
            cut[i] = c.magnitude;
            if (c.atCut < c.equal) {
                // Only some of the entries at the cut are kept: trimmed here, so that the test below keeps all of it.
                v[i] = trimmed(v[i], c);
                cut[i] = 0;
            }
        }
        float[] out = new float[n];
        Election election = new Election();
        for (int start = 0; start < n; start += BLOCK) {
            int length = Math.min(BLOCK, n - start);
            election.clear();
            for (int i = 0; i < k; i++) {
                election.add(v[i], start, length, cut[i], (float) weights[i]);
            }
            election.mean(out, start, length, (float) lambda);
        }
        return out;
    }

    /**
     * TIES's sums over one block of entries. Each loop is a method of its own over arrays indexed alike, which the
     * compiler vectorises: one loop fused of them, or a loop reading a member at {@code start + j}, it did not, and
     * each took several times longer.
     */
    private static final class Election {

        private final float[] kept = new float[BLOCK];
        private final float[] total = new float[BLOCK];
        private final float[] up = new float[BLOCK];
        private final float[] down = new float[BLOCK];
        private final float[] upWeight = new float[BLOCK];
        private final float[] downWeight = new float[BLOCK];

        void clear() {
            Arrays.fill(total, 0);
            Arrays.fill(up, 0);
            Arrays.fill(down, 0);
            Arrays.fill(upWeight, 0);
            Arrays.fill(downWeight, 0);
        }

        /** A member's entries {@code start …} trimmed at {@code cut}, added with weight {@code w}. */
        void add(float[] member, int start, int length, float cut, float w) {
            System.arraycopy(member, start, kept, 0, length);
            trim(kept, length, cut);
            sums(kept, length, w, total, up, down);
            weights(kept, length, w, upWeight, downWeight);
        }

        /** The agreeing members' weighted means times λ, into {@code out} at {@code start}. */
        void mean(float[] out, int start, int length, float lambda) {
            elect(length, total, up, down, upWeight, downWeight);
            divide(length, up, upWeight, lambda);
            System.arraycopy(up, 0, out, start, length);
        }

        private static void trim(float[] x, int length, float cut) {
            for (int j = 0; j < length; j++) {
                float e = x[j];
                // Kept when |e| ≥ cut, that is unless cut − |e| > 0 (exact: floats differ by 0 only when equal).
                x[j] = e * (1 - positive(cut - Math.abs(e)));
            }
        }

        private static void sums(float[] x, int length, float w, float[] total, float[] up, float[] down) {
            for (int j = 0; j < length; j++) {
                float t = x[j];
                total[j] += w * t;
                up[j] += w * Math.max(t, 0);
                down[j] += w * Math.min(t, 0);
            }
        }

        private static void weights(float[] x, int length, float w, float[] upWeight, float[] downWeight) {
            for (int j = 0; j < length; j++) {
                float t = x[j];
                upWeight[j] += w * positive(t);
                downWeight[j] += w * positive(-t);
            }
        }

        /** The elected sign's sum and weight, into {@code up} and {@code upWeight} (both 0 where the total is). */
        private static void elect(int length, float[] total, float[] up, float[] down, float[] upWeight, float[] downWeight) {
            for (int j = 0; j < length; j++) {
                float plus = positive(total[j]);
                float minus = positive(-total[j]);
                up[j] = plus * up[j] + minus * down[j];
                upWeight[j] = plus * upWeight[j] + minus * downWeight[j];
            }
        }

        /** λ · sum / weight, and 0 where the weight is (no member agrees, or the agreeing weights cancel). */
        private static void divide(int length, float[] sum, float[] weight, float lambda) {
            for (int j = 0; j < length; j++) {
                float w = weight[j];
                float some = positive(Math.abs(w));
                sum[j] = lambda * sum[j] * some / (w + (1 - some));
            }
        }
    }

    /**
     * 1 when {@code x > 0}, else 0, for any {@code x} but NaN, in float arithmetic only: a positive float times 2²⁵² is
     * at least 1 (the smallest, 2⁻¹⁴⁹, becomes 2¹⁰³; larger ones overflow to infinity), a negative one at most −1.
     */
    private static float positive(float x) {
        return Math.max(Math.min(x * 0x1p126f * 0x1p126f, 1), 0);
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
