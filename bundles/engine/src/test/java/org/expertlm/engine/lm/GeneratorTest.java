package org.expertlm.engine.lm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.expertlm.engine.graph.GradientCheck;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.tensor.FloatTensor;
import org.junit.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

public class GeneratorTest {

    private static final int[] VOCABULARY = {1, 2, 7, 9, 11, 13};
    private static final int END = 2;

    private static DecoderLm model() {
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.build(new DecoderConfig(2, 8, 2, 12, 6, VOCABULARY),
                new FloatTensor(new long[] {20, 8}, Nd4j.randn(3, new long[] {160}).toFloatVector()), sd,
                Parameters.trainable(sd, 5, DataType.DOUBLE), DataType.DOUBLE);
        GradientCheck.trainable(sd).forEach(n -> sd.getVariable(n).getArr()
                .addi(Nd4j.randn(9, sd.getVariable(n).getArr().shape()).castTo(DataType.DOUBLE).muli(0.5)));
        return lm;
    }

    @Test
    public void greedyTakesTheMostLikelyTokenAtEachStepAndItsScoreIsTheSequencesLogProbability() {
        DecoderLm lm = model();
        Generator generator = new Generator(lm, END);
        float[][] memory = Nd4j.randn(4, new long[] {5, 8}).toFloatMatrix();
        Generator.Hypothesis best = generator.greedy(memory, 4);
        int[] prefix = new int[0];
        for (int token : best.tokens()) {
            double[] next = generator.nextLogProbs(memory, prefix);
            int argmax = 1;
            for (int v = 2; v < next.length; v++) {
                if (next[v] > next[argmax]) {
                    argmax = v;
                }
            }
            assertEquals(VOCABULARY[argmax], token);
            prefix = Arrays.copyOf(prefix, prefix.length + 1);
            prefix[prefix.length - 1] = token;
        }
        if (!best.finished()) {
            double scored = lm.score(memory, List.of(best.tokens()), false)[0];
            assertEquals(scored, best.logProb(), 1e-9);
        }
    }

    @Test
    public void beamSearchFindsAtLeastAsLikelyASequenceAsGreedyBestFirst() {
        DecoderLm lm = model();
        Generator generator = new Generator(lm, END);
        float[][] memory = Nd4j.randn(4, new long[] {5, 8}).toFloatMatrix();
        List<Generator.Hypothesis> beams = generator.beam(memory, 3, 4);
        assertEquals(3, beams.size());
        assertTrue(beams.get(0).logProb() >= beams.get(1).logProb() && beams.get(1).logProb() >= beams.get(2).logProb());
        assertTrue(beams.get(0).logProb() >= generator.greedy(memory, 4).logProb() - 1e-12);
        assertArrayEquals(generator.greedy(memory, 4).tokens(), generator.beam(memory, 1, 4).get(0).tokens());
    }

    @Test
    public void theEndTokenMustBeInTheOutputVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Generator(model(), 102));
        assertTrue(e.getMessage(), e.getMessage().contains("end token 102"));
    }
}
