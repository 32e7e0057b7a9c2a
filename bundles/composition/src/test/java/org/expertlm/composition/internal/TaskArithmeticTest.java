package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;

import org.expertlm.api.MergeMethod;

public class TaskArithmeticTest extends MergeMethodConformance {

    @Override
    MergeMethod method() {
        return new TaskArithmetic();
    }

    @Override
    public void matchesItsHandComputedReference() {
        // λ · (v1 + v2 + v3) = 0.5 · [3, 2, 4, 2]
        assertArrayEquals(new float[] {1.5f, 1, 2, 1}, merge(TINY, ONES, 0.5, 0.5, 0), 1e-6f);
        // 1·v1 − 1·v2 + 0·v3: a skill subtracted
        assertArrayEquals(new float[] {-2, -4, 4, -4}, merge(TINY, new double[] {1, -1, 0}, 0.5, 1, 0), 1e-6f);
    }

    @Override
    double loneMemberScale(double w) {
        return w;
    }
}
