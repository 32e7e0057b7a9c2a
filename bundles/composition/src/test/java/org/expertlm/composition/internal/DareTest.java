package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.expertlm.api.MergeMethod;
import org.junit.Test;

public class DareTest extends MergeMethodConformance {

    @Override
    MergeMethod method() {
        return new Dare();
    }

    @Override
    public void matchesItsHandComputedReference() {
        // Nothing dropped: task arithmetic, λ · [3, 2, 4, 2].
        assertArrayEquals(new float[] {1.5f, 1, 2, 1}, merge(TINY, ONES, 1, 0.5, 0), 1e-6f);
        // Everything dropped: zero, not a division by zero.
        assertArrayEquals(new float[4], merge(TINY, ONES, 0, 1, 0), 0);
    }

    @Test
    public void theKeptEntriesAreRescaledSoThatTheExpectedUpdateStays() {
        float[] ones = new float[20_000];
        Arrays.fill(ones, 1);
        float[] merged = merge(List.of(ones), new double[] {1}, 0.25, 1, 5);
        int kept = 0;
        double sum = 0;
        for (float x : merged) {
            assertTrue("an entry is dropped (0) or kept and rescaled by 1/0.25: " + x, x == 0 || x == 4);
            kept += x == 0 ? 0 : 1;
            sum += x;
        }
        assertEquals("about a quarter kept", 0.25, kept / 20_000.0, 0.02);
        assertEquals("the mean update stays 1", 1, sum / 20_000, 0.08);
    }

    @Test
    public void anotherSeedOrTensorDropsOtherEntries() {
        List<float[]> members = List.of(random(1, 500), random(2, 500));
        float[] seeded = merge(members, new double[] {1, 1}, 0.5, 1, 1);
        assertFalse(Arrays.equals(seeded, merge(members, new double[] {1, 1}, 0.5, 1, 2)));
        assertFalse(Arrays.equals(seeded, method().merge(members, new double[] {1, 1},
                new MergeMethod.Parameters(0.5, 1, 1, "another.tensor"))));
    }

    @Override
    double loneMemberScale(double w) {
        return w;
    }
}
