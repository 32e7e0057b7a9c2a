package org.expertlm.api;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

/** The output mixture on a fabricated score table, against probabilities computed by hand. */
public class OutputMixtureTest {

    private static final double LN2 = Math.log(2);

    @Test
    public void oneExpertGivesItsOwnSoftmax() {
        // log-probabilities ln(1/3) and ln(2/3): the softmax gives back 1/3 and 2/3.
        double[] p = OutputMixture.combine(new double[][] {{Math.log(1 / 3.0), Math.log(2 / 3.0)}}, new double[] {5});
        assertArrayEquals(new double[] {1 / 3.0, 2 / 3.0}, p, 1e-12);
    }

    @Test
    public void expertsAreAveragedByTheirVotesAndTheMixtureCanOverruleTheTopExpert() {
        // Expert A (3 votes) prefers choice 0 at 2:1; expert B (2 votes) prefers choice 1 at 7:1.
        // p(0) = (3·2/3 + 2·1/8) / 5 = 0.45, p(1) = (3·1/3 + 2·7/8) / 5 = 0.55: choice 1 wins the mixture.
        double[][] scores = {{LN2 - 100, -100}, {-50, Math.log(7) - 50}};
        double[] p = OutputMixture.combine(scores, new double[] {3, 2});
        assertArrayEquals(new double[] {0.45, 0.55}, p, 1e-12);
        assertEquals(1, OutputMixture.best(p));
        assertEquals("alone, A would pick choice 0", 0, OutputMixture.best(OutputMixture.combine(new double[][] {scores[0]}, new double[] {3})));
    }

    @Test
    public void largeScoresDoNotOverflowAndATieGoesToTheFirstChoice() {
        double[] p = OutputMixture.softmax(new double[] {-1e6, -1e6});
        assertArrayEquals(new double[] {0.5, 0.5}, p, 1e-12);
        assertEquals(0, OutputMixture.best(p));
    }

    @Test
    public void scoresThatAreNotNumbersCountAsImpossible() {
        assertArrayEquals(new double[] {0, 1}, OutputMixture.softmax(new double[] {Double.NaN, -3}), 1e-12);
        assertArrayEquals("all impossible: equally likely", new double[] {0.5, 0.5},
                OutputMixture.softmax(new double[] {Double.NEGATIVE_INFINITY, Double.NaN}), 1e-12);
        assertArrayEquals(new double[] {1, 0}, OutputMixture.softmax(new double[] {Double.POSITIVE_INFINITY, 0}), 1e-12);
        double[] p = OutputMixture.combine(new double[][] {{Double.NaN, Double.NaN}, {0, Math.log(3)}}, new double[] {1, 1});
        assertArrayEquals("the bad expert adds an even split, the good one its own", new double[] {0.375, 0.625}, p, 1e-12);
    }

    @Test
    public void mismatchedTablesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> OutputMixture.combine(new double[][] {{0, 0}}, new double[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> OutputMixture.combine(new double[][] {{0, 0}, {0, 0, 0}}, new double[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> OutputMixture.combine(new double[][] {{0, 0}}, new double[] {0}));
    }
}
