package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;

import org.expertlm.api.MergeMethod;

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
}
