package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.expertlm.api.MergeMethod;

public class UniformAverageTest extends MergeMethodConformance {

    @Override
    MergeMethod method() {
        return new UniformAverage();
    }

    @Override
    public void matchesItsHandComputedReference() {
        assertArrayEquals(new float[] {1, 2 / 3f, 4 / 3f, 2 / 3f}, merge(TINY, ONES, 0.5, 1, 0), 1e-6f);
        assertArrayEquals("lambda scales it", new float[] {0.5f, 1 / 3f, 2 / 3f, 1 / 3f}, merge(TINY, ONES, 0.5, 0.5, 0), 1e-6f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> merge(TINY, new double[] {1, 2, 1}, 0.5, 1, 0));
        assertTrue(e.getMessage(), e.getMessage().contains("use --method weighted"));
    }

    @Override
    double loneMemberScale(double w) {
        return 1;
    }

    @Override
    boolean takesWeights() {
        return false;
    }
}
