package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.expertlm.api.MergeMethod;
import org.junit.Test;

public class TiesTest extends MergeMethodConformance {

    @Override
    MergeMethod method() {
        return new Ties();
    }

    @Override
    public void matchesItsHandComputedReference() {
        // Trimmed to 2 of 4: v1 → [0, -2, 3, 0]; v2 → [3, 0, 0, 4]; v3 (three entries of magnitude 2, the first two kept)
        // → [0, 2, 2, 0]. Signs elected from the sums [3, 0, 5, 4]; the agreeing entries' mean: [3, 0, (3+2)/2, 4].
        assertArrayEquals(new float[] {3, 0, 2.5f, 4}, merge(TINY, ONES, 0.5, 1, 0), 1e-6f);
        // Nothing trimmed: sums [3, 2, 4, 2]; agreeing means [(1+3)/2, (2+2)/2, (3+2)/2, 4].
        assertArrayEquals(new float[] {2, 2, 2.5f, 4}, merge(TINY, ONES, 1, 1, 0), 1e-6f);
        // v1 weighted 3: entry 1's sum -6 + 0 + 2 elects minus (v1's -2 alone agrees); entry 2 is (3·3 + 1·2) / (3 + 1).
        assertArrayEquals(new float[] {3, -2, 2.75f, 4}, merge(TINY, new double[] {3, 1, 1}, 0.5, 1, 0), 1e-6f);
        // λ scales the mean; density 0 keeps nothing.
        assertArrayEquals(new float[] {1.5f, 0, 1.25f, 2}, merge(TINY, ONES, 0.5, 0.5, 0), 1e-6f);
        assertArrayEquals(new float[4], merge(TINY, ONES, 0, 1, 0), 0);
    }

    @Override
    double loneMemberScale(double w) {
        return 1;
    }

    /**
     * On vectors large enough for both ways the trim finds its cut (a few entries in the cut's bucket, sorted; many,
     * as when values repeat, counted), TIES agrees with the method written plainly: sort the magnitudes for the cut,
     * keep the first ones at it, elect the sign of the sum and take the agreeing members' weighted mean, in double.
     */
    @Test
    public void agreesWithThePlainMethodOnLargeVectors() {
        Random random = new Random(11);
        float[] spread = new float[30_000];
        float[] repeating = new float[30_000];
        float[] third = new float[30_000];
        for (int j = 0; j < spread.length; j++) {
            spread[j] = (float) random.nextGaussian();
            repeating[j] = (random.nextInt(7) - 3) * 0.25f; // a few values, each thousands of times
            third[j] = (float) (random.nextGaussian() * 0.01);
        }
        List<float[]> members = List.of(spread, repeating, third);
        double[] weights = {1, 0.5, 2};
        for (double density : new double[] {0.1, 0.35, 0.9}) {
            assertArrayEquals("density " + density, plain(members, weights, density, 0.8),
                    merge(members, weights, density, 0.8, 0), 1e-5f);
        }
    }

    /**
     * The election's tests are float arithmetic (see {@code TaskVectors.positive}): they must hold at the ends of the
     * float range, and where the agreeing members' weights cancel the entry is 0, not a division by zero.
     */
    @Test
    public void extremeMagnitudesAndCancellingWeights() {
        float[] extremes = {Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE / 4, -Float.MAX_VALUE / 4, Float.MIN_NORMAL, 0};
        assertArrayEquals(extremes, merge(List.of(extremes), new double[] {1}, 1, 1, 0), 0);
        // Trimmed to half, the smallest three magnitudes go: the subnormals and zero.
        assertArrayEquals(new float[] {0, 0, Float.MAX_VALUE / 4, -Float.MAX_VALUE / 4, Float.MIN_NORMAL, 0},
                merge(List.of(extremes), new double[] {1}, 0.5, 1, 0), 0);
        // Entry 0: the sum 1·1 − 1·2 − 2·(−1) = 1 elects plus, and the agreeing members' weights, 1 and −1, cancel: 0.
        // Entry 1: the sum 1 − 1 + 0 elects no sign: 0. Entry 2: the sum 5 − 1 − 2 = 2 elects plus, every member
        // agrees, and their weights sum to −2: 2 / −2.
        List<float[]> members = List.of(new float[] {1, 1, 5}, new float[] {2, 1, 1}, new float[] {-1, 0, 1});
        double[] weights = {1, -1, -2};
        assertArrayEquals(new float[] {0, 0, -1}, merge(members, weights, 1, 1, 0), 0);
        assertArrayEquals(plain(members, weights, 1, 1), merge(members, weights, 1, 1, 0), 0);
    }

    private static float[] plain(List<float[]> members, double[] weights, double density, double lambda) {
        int n = members.get(0).length;
        float[][] kept = new float[members.size()][n];
        for (int i = 0; i < members.size(); i++) {
            float[] v = members.get(i);
            float[] magnitudes = new float[n];
            for (int j = 0; j < n; j++) {
                magnitudes[j] = Math.abs(v[j]);
            }
            Arrays.sort(magnitudes);
            int keep = (int) Math.round(density * n);
            float cut = magnitudes[n - keep];
            int above = 0;
            for (float m : magnitudes) {
                above += m > cut ? 1 : 0;
            }
            int atCut = keep - above;
            for (int j = 0; j < n; j++) {
                float a = Math.abs(v[j]);
                if (a > cut || a == cut && atCut-- > 0) {
                    kept[i][j] = v[j];
                }
            }
        }
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double total = 0;
            for (int i = 0; i < kept.length; i++) {
                total += weights[i] * kept[i][j];
            }
            double sum = 0;
            double weight = 0;
            for (int i = 0; i < kept.length; i++) {
                if (kept[i][j] * total > 0) {
                    sum += weights[i] * kept[i][j];
                    weight += weights[i];
                }
            }
            out[j] = weight == 0 ? 0 : (float) (lambda * sum / weight);
        }
        return out;
    }
}
