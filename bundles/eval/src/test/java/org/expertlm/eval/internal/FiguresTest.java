package org.expertlm.eval.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.Test;

/** The evaluation's arithmetic on small fabricated score tables, against figures computed by hand. */
public class FiguresTest {

    /** Three instances of two choices; gold: 0, 1, 1. */
    private static final int[] GOLD = {0, 1, 1};

    private static ScoreTable table(String model, double[]... rows) {
        return new ScoreTable(model, "t/x", List.of("a", "b", "c"), GOLD, List.of(rows));
    }

    @Test
    public void accuracyCountsTheFirstRankedChoice() {
        ScoreTable t = table("m@1", new double[] {-1, -2}, new double[] {-1, -3}, new double[] {-5, -4});
        assertArrayEquals(new int[] {0, 0, 1}, new int[] {t.predicted(0), t.predicted(1), t.predicted(2)});
        assertEquals(2 / 3.0, t.accuracy(), 1e-12);
        assertEquals(1 / 3.0, Figures.accuracy(new int[] {1, 1, 0}, GOLD), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Figures.accuracy(new int[] {1}, GOLD));
    }

    @Test
    public void theOracleIsTheBestExpertAndOfEqualOnesTheFirstByName() {
        Figures.Scored o = Figures.oracle(Map.of("b@1", 0.6, "a@1", 0.6, "c@1", 0.5));
        assertEquals("a@1", o.model());
        assertEquals(0.6, o.score(), 0);
        assertEquals(2, Figures.above(Map.of("b@1", 0.6, "a@1", 0.6, "c@1", 0.5), 0.5));
        assertThrows(IllegalArgumentException.class, () -> Figures.oracle(Map.of()));
    }

    @Test
    public void theShareOfTheOraclesGainIsMeasuredFromTheBaseline() {
        // The paper's: RoE 53.48 over T0-3B's 51.43, oracle +11.94: (53.48 − 51.43) / 11.94 ≈ 17%.
        assertEquals(0.1717, Figures.shareOfGain(53.48, 51.43, 51.43 + 11.94), 1e-4);
        assertEquals(-0.5, Figures.shareOfGain(0.45, 0.5, 0.6), 1e-12);
        assertTrue("no gain to share", Double.isNaN(Figures.shareOfGain(0.6, 0.6, 0.6)));
    }

    @Test
    public void theMixtureWeighsEachExpertsProbabilitiesByItsVotes() {
        double ln2 = Math.log(2);
        // Expert a: p = (2/3, 1/3) everywhere; expert b: (1/3, 2/3) everywhere.
        ScoreTable a = table("a@1", new double[] {ln2, 0}, new double[] {ln2, 0}, new double[] {ln2, 0});
        ScoreTable b = table("b@1", new double[] {0, ln2}, new double[] {0, ln2}, new double[] {0, ln2});
        // Votes 3 : 1 → choice 0 has (3·2/3 + 1/3) / 4 = 7/12 > 5/12.
        assertArrayEquals(new int[] {0, 0, 0}, Figures.mixture(List.of(a, b), new double[] {3, 1}));
        assertArrayEquals(new int[] {1, 1, 1}, Figures.mixture(List.of(a, b), new double[] {1, 3}));
        assertEquals(1 / 3.0, Figures.accuracy(Figures.mixture(List.of(a, b), new double[] {3, 1}), GOLD), 1e-12);
    }

    @Test
    public void theMeanLeavesOutWhatWasNotMeasured() {
        assertEquals(0.5, Figures.mean(List.of(0.4, Double.NaN, 0.6)), 1e-12);
        assertTrue(Double.isNaN(Figures.mean(List.of(Double.NaN))));
    }

    @Test
    public void aTableNeedsOneGoldAnswerAndOneScoreRowPerInstance() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ScoreTable("m@1", "t/x", List.of("a"),
                new int[] {0, 1}, List.of(new double[] {0, 0})));
        assertTrue(e.getMessage(), e.getMessage().contains("1 instances, 2 gold answers and 1 score rows"));
    }

    @Test
    public void chanceIsTheMeanOfOneOverEachInstancesChoices() {
        assertEquals((1 / 2.0 + 1 / 4.0 + 1 / 4.0) / 3, Figures.chance(List.of(2, 4, 4)), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Figures.chance(List.of()));
        assertEquals(0.7, Figures.best(List.of(0.2, 0.7, 0.5)), 0);
        assertTrue(Double.isNaN(Figures.best(List.of())));
    }
}
