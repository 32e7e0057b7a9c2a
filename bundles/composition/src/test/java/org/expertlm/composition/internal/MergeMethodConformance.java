package org.expertlm.composition.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import org.expertlm.api.MergeMethod;
import org.junit.Test;

/**
 * What every merge method must do, whatever it is: pass its hand-computed reference, merge one member into that member
 * (at density 1), not care about the members' order, give the same result for the same seed, apply a weight once,
 * leave its inputs alone, refuse vectors of other lengths, give no NaN at density 0 or 1, and, if it says it is
 * linear, merge as its coefficients say. A subclass names the
 * method and its reference.
 */
public abstract class MergeMethodConformance {

    /** Three members of four entries, the tiny case every reference is computed on by hand. */
    static final List<float[]> TINY = List.of(new float[] {1, -2, 3, 0}, new float[] {3, 2, -1, 4}, new float[] {-1, 2, 2, -2});
    static final double[] ONES = {1, 1, 1};

    abstract MergeMethod method();

    /** Asserts the method's hand-computed results on {@link #TINY}. */
    @Test
    public abstract void matchesItsHandComputedReference();

    /** What a lone member weighted {@code w} becomes, as a multiple of itself (w for sums, 1 for means). */
    abstract double loneMemberScale(double w);

    /** False for a method that takes no weights (the uniform average). */
    boolean takesWeights() {
        return true;
    }

    static MergeMethod.Parameters parameters(double density, double lambda, long seed) {
        return new MergeMethod.Parameters(density, lambda, seed, "decoder.layer.0.cross.adapter.up.weight");
    }

    float[] merge(List<float[]> vectors, double[] weights, double density, double lambda, long seed) {
        return method().merge(vectors, weights, parameters(density, lambda, seed));
    }

    @Test
    public void theMergeOfOneExpertIsThatExpert() {
        float[] v = random(1, 257);
        assertArrayEquals(v, merge(List.of(v), new double[] {1}, 1, 1, 0), 0);
    }

    @Test
    public void aWeightIsAppliedOnce() {
        assumeTrue(takesWeights());
        float[] v = random(2, 64);
        float[] merged = merge(List.of(v), new double[] {2.5}, 1, 1, 0);
        for (int j = 0; j < v.length; j++) {
            assertEquals("entry " + j, loneMemberScale(2.5) * v[j], merged[j], 1e-5);
        }
    }

    @Test
    public void aMemberWeightedZeroIsAsIfAbsent() {
        assumeTrue(takesWeights());
        List<float[]> three = List.of(random(3, 100), random(4, 100), random(5, 100));
        float[] without = merge(three.subList(0, 2), new double[] {0.7, 1.3}, 0.6, 1, 9);
        float[] zeroed = merge(three, new double[] {0.7, 1.3, 0}, 0.6, 1, 9);
        assertArrayEquals(without, zeroed, 1e-6f);
    }

    @Test
    public void theMembersOrderDoesNotMatter() {
        List<float[]> members = List.of(random(6, 300), random(7, 300), random(8, 300));
        double[] weights = takesWeights() ? new double[] {0.5, 1, 2} : ONES;
        float[] forward = merge(members, weights, 0.4, 0.8, 11);
        List<float[]> reversed = new ArrayList<>(members);
        java.util.Collections.reverse(reversed);
        double[] reversedWeights = {weights[2], weights[1], weights[0]};
        assertArrayEquals(forward, merge(reversed, reversedWeights, 0.4, 0.8, 11), 1e-6f);
    }

    @Test
    public void theSameSeedGivesTheSameMergeAndTheInputsStayAsTheyWere() {
        List<float[]> members = List.of(random(9, 200), random(10, 200));
        List<float[]> copies = members.stream().map(float[]::clone).toList();
        float[] once = merge(members, new double[] {1, 1}, 0.3, 1, 42);
        assertArrayEquals(once, merge(members, new double[] {1, 1}, 0.3, 1, 42), 0);
        for (int m = 0; m < members.size(); m++) {
            assertArrayEquals("member " + m + " untouched", copies.get(m), members.get(m), 0);
        }
    }

    @Test
    public void densityZeroAndOneGiveNoNaN() {
        List<float[]> members = List.of(random(12, 50), new float[50], random(13, 50));
        for (double density : new double[] {0, 1}) {
            float[] merged = merge(members, ONES, density, 1, 3);
            for (float x : merged) {
                assertTrue("density " + density + ": " + Arrays.toString(merged), Float.isFinite(x));
            }
        }
    }

    @Test
    public void aLinearMethodsCoefficientsAgreeWithItsMerge() {
        double[] weights = takesWeights() ? new double[] {1, 2, 0.5} : ONES;
        Optional<double[]> c = method().linearCoefficients(weights, new MergeMethod.Parameters(1, 0.7, 0, ""));
        assumeTrue("a method that looks at the values has no coefficients", c.isPresent());
        float[] expected = new float[TINY.get(0).length];
        for (int i = 0; i < TINY.size(); i++) {
            for (int j = 0; j < expected.length; j++) {
                expected[j] += (float) (c.get()[i] * TINY.get(i)[j]);
            }
        }
        assertArrayEquals(expected, merge(TINY, weights, 1, 0.7, 0), 1e-6f);
    }

    @Test
    public void vectorsOfOtherLengthsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> merge(List.of(new float[3], new float[4]), new double[] {1, 1}, 0.5, 1, 0));
        assertTrue(e.getMessage(), e.getMessage().contains("of its own shape"));
    }

    static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int j = 0; j < n; j++) {
            v[j] = (float) r.nextGaussian();
        }
        return v;
    }
}
