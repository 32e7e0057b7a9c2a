package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;

import org.expertlm.api.MergeMethod;

public class WeightedAverageTest extends MergeMethodConformance {

    @Override
    MergeMethod method() {
        return new WeightedAverage();
    }

    @Override
    public void matchesItsHandComputedReference() {
        // (1·v1 + 2·v2 + 1·v3) / 4 = [6, 4, 3, 6] / 4
        assertArrayEquals(new float[] {1.5f, 1, 0.75f, 1.5f}, merge(TINY, new double[] {1, 2, 1}, 0.5, 1, 0), 1e-6f);
        assertArrayEquals("weights are relative", merge(TINY, new double[] {1, 2, 1}, 0.5, 1, 0),
                merge(TINY, new double[] {2, 4, 2}, 0.5, 1, 0), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> merge(TINY, new double[] {1, -1, 0}, 0.5, 1, 0));
    }

    @Override
    double loneMemberScale(double w) {
        return 1;
    }
}
