package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;

import org.expertlm.api.MergeMethod;

public class DareTiesTest extends MergeMethodConformance {

    @Override
    MergeMethod method() {
        return new DareTies();
    }

    @Override
    public void matchesItsHandComputedReference() {
        // Nothing dropped: TIES without its trim, sums [3, 2, 4, 2] → agreeing means [2, 2, 2.5, 4].
        assertArrayEquals(new float[] {2, 2, 2.5f, 4}, merge(TINY, ONES, 1, 1, 0), 1e-6f);
        assertArrayEquals(new float[4], merge(TINY, ONES, 0, 1, 0), 0);
    }

    @Override
    double loneMemberScale(double w) {
        return 1;
    }
}
