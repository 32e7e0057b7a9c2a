package org.expertlm.engine.lm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import org.expertlm.engine.graph.GradientCheck;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.tensor.FloatTensor;
import org.junit.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Rank classification agrees with the log-probabilities computed directly, one choice at a time. */
public class DecoderLmTest {

    private static final int DIM = 8;
    private static final int[] VOCABULARY = {1, 7, 9, 11, 13, 15};

    private static DecoderLm model() {
        float[] table = new float[20 * DIM];
        INDArray random = Nd4j.randn(3, new long[] {20 * DIM});
        for (int i = 0; i < table.length; i++) {
            table[i] = random.getFloat(i);
        }
        SameDiff sd = SameDiff.create();
        DecoderConfig config = new DecoderConfig(2, DIM, 2, 12, 6, VOCABULARY);
        DecoderLm lm = DecoderLm.build(config, new FloatTensor(new long[] {20, DIM}, table), sd,
                Parameters.trainable(sd, 5, DataType.DOUBLE), DataType.DOUBLE);
        // Move the weights off their small initial values so that scores differ clearly.
        GradientCheck.trainable(sd).forEach(n -> sd.getVariable(n).getArr()
                .addi(Nd4j.randn(9, sd.getVariable(n).getArr().shape()).castTo(DataType.DOUBLE).muli(0.3)));
        return lm;
    }

    private static float[][] memory() {
        INDArray m = Nd4j.randn(4, new long[] {5, DIM});
        return m.toFloatMatrix();
    }

    @Test
    public void aRowScoresTheSameOverItsOwnStatesAloneOrPaddedBesideLongerOnes() {
        DecoderLm lm = model();
        float[][] shortMemory = java.util.Arrays.copyOf(memory(), 3);
        float[][] longMemory = Nd4j.randn(6, new long[] {7, DIM}).toFloatMatrix();
        int[] target = {9, 11, 13};
        double alone = lm.graph().output(lm.lmBatch(List.<float[][]>of(shortMemory), List.<int[]>of(target)), "sequence_logprob")
                .get("sequence_logprob").getDouble(0);
        double padded = lm.graph().output(lm.lmBatch(List.<float[][]>of(shortMemory, longMemory), List.<int[]>of(target, new int[] {7})),
                "sequence_logprob").get("sequence_logprob").getDouble(0);
        assertEquals(alone, padded, 1e-9);
        assertThrows(IllegalArgumentException.class, () -> lm.lmBatch(List.<float[][]>of(shortMemory), List.<int[]>of(target, target)));
    }

    @Test
    public void batchedScoresEqualTheSumOfEachChoicesTokenLogProbabilities() {
        DecoderLm lm = model();
        float[][] memory = memory();
        List<int[]> choices = List.of(new int[] {7}, new int[] {9, 11}, new int[] {13, 15, 7, 9});
        double[] batched = lm.score(memory, choices, false);
        double[] normalised = lm.score(memory, choices, true);
        for (int c = 0; c < choices.size(); c++) {
            int[] choice = choices.get(c);
            Map<String, INDArray> alone = lm.batch(memory, List.of(choice));
            INDArray logProbs = lm.graph().output(alone, "log_probs").get("log_probs");
            double direct = 0;
            int previous = 0;
            for (int t = 0; t < choice.length; t++) {
                double total = 0;
                for (int v = 0; v < VOCABULARY.length; v++) {
                    total += Math.exp(logProbs.getDouble(0, t, v));
                }
                assertEquals("a distribution at position " + t, 1.0, total, 1e-9);
                int target = lm.indexOf(choice[t]);
                direct += logProbs.getDouble(0, t, target);
                assertEquals("teacher forcing feeds the previous token", previous, alone.get("decoder_input").getInt(0, t));
                previous = target;
            }
            assertEquals("choice " + c, direct, batched[c], 1e-9);
            assertEquals("choice " + c + " normalised", direct / choice.length, normalised[c], 1e-9);
        }
        assertTrue("scores are log-probabilities", batched[2] < 0);
    }

    @Test
    public void theLossGradientMatchesFiniteDifferences() {
        SameDiff sd = SameDiff.create();
        float[] table = Nd4j.randn(6, new long[] {20 * 4}).toFloatVector();
        DecoderLm lm = DecoderLm.build(new DecoderConfig(1, 4, 2, 6, 4, VOCABULARY), new FloatTensor(new long[] {20, 4}, table),
                sd, Parameters.trainable(sd, 5, DataType.DOUBLE), DataType.DOUBLE);
        Map<String, INDArray> batch = lm.batch(Nd4j.randn(7, new long[] {3, 4}).toFloatMatrix(),
                List.of(new int[] {7, 9}, new int[] {11}));
        sd.output(batch, "loss");
        GradientCheck.trainable(sd).forEach(n -> sd.getVariable(n).getArr()
                .addi(Nd4j.randn(8, sd.getVariable(n).getArr().shape()).castTo(DataType.DOUBLE).muli(0.3)));
        List<String> names = GradientCheck.trainable(sd);
        assertEquals("one block (26 tensors) and the final norm (2)", 28, names.size());
        GradientCheck.assertGradientsMatch(sd, batch, names);
    }

    @Test
    public void theRankLossIsTheCrossEntropyOfTheGoldChoiceAndItsGradientIsRight() {
        SameDiff sd = SameDiff.create();
        float[] table = Nd4j.randn(6, new long[] {20 * 4}).toFloatVector();
        DecoderLm lm = DecoderLm.build(new DecoderConfig(1, 4, 2, 6, 4, VOCABULARY), new FloatTensor(new long[] {20, 4}, table),
                sd, Parameters.trainable(sd, 5, DataType.DOUBLE), DataType.DOUBLE);
        GradientCheck.trainable(sd).forEach(n -> sd.getVariable(n).getArr()
                .addi(Nd4j.randn(8, sd.getVariable(n).getArr().shape()).castTo(DataType.DOUBLE).muli(0.3)));
        float[][] first = Nd4j.randn(7, new long[] {3, 4}).toFloatMatrix();
        float[][] second = Nd4j.randn(8, new long[] {3, 4}).toFloatMatrix();
        List<int[]> choices = List.of(new int[] {7}, new int[] {9, 11});
        Map<String, INDArray> batch = lm.classificationBatch(List.of(first, second), List.of(choices, choices), new int[] {1, 0});
        double rank = sd.output(batch, "rank_loss").get("rank_loss").getDouble(0);
        double[] a = lm.score(first, choices, false);
        double[] b = lm.score(second, choices, false);
        double expected = -0.5 * ((a[1] - Math.log(Math.exp(a[0]) + Math.exp(a[1]))) + (b[0] - Math.log(Math.exp(b[0]) + Math.exp(b[1]))));
        assertEquals(expected, rank, 1e-9);
        double lm2 = sd.output(batch, "loss").get("loss").getDouble(0);
        assertEquals("the LM loss covers the gold rows only: 2 + 1 tokens", -(a[1] + b[0]) / 3, lm2, 1e-9);
        assertEquals(lm2 + rank, sd.output(batch, "lm_rank_loss").get("lm_rank_loss").getDouble(0), 1e-9);
        GradientCheck.assertGradientsMatch(sd, batch, GradientCheck.trainable(sd), "lm_rank_loss");
    }

    @Test
    public void theLossesOfABatchsPartsAddUpToItsOwnAndSoDoTheirGradientsOnAReplica() {
        DecoderLm lm = model();
        DecoderLm replica = lm.replica();
        List<float[][]> memories = List.of(memory(), Nd4j.randn(11, new long[] {3, DIM}).toFloatMatrix(),
                Nd4j.randn(12, new long[] {7, DIM}).toFloatMatrix());
        List<int[]> choices = List.of(new int[] {7}, new int[] {9, 11, 13});
        int[] gold = {1, 0, 1};
        Map<String, INDArray> whole = lm.classificationBatch(memories, List.of(choices, choices, choices), gold);
        List<Map<String, INDArray>> parts = lm.classificationParts(memories, List.of(choices, choices, choices), gold, 2);
        assertEquals(2, parts.size());
        double sum = 0;
        for (Map<String, INDArray> part : parts) {
            sum += replica.graph().output(part, "lm_rank_loss").get("lm_rank_loss").getDouble(0);
        }
        assertEquals(lm.graph().output(whole, "lm_rank_loss").get("lm_rank_loss").getDouble(0), sum, 1e-9);

        List<String> names = GradientCheck.trainable(lm.graph());
        lm.graph().setLossVariables("lm_rank_loss");
        replica.graph().setLossVariables("lm_rank_loss");
        Map<String, INDArray> expected = lm.graph().calculateGradients(whole, names);
        Map<String, INDArray> first = lm.graph().calculateGradients(parts.get(0), names);
        Map<String, INDArray> second = replica.graph().calculateGradients(parts.get(1), names);
        for (String name : names) {
            INDArray added = first.get(name).add(second.get(name));
            assertEquals(name, 0, added.sub(expected.get(name)).amaxNumber().doubleValue(), 1e-9);
        }

        List<int[]> targets = List.of(new int[] {7, 9}, new int[] {11}, new int[] {13, 15, 7});
        double lmWhole = lm.graph().output(lm.lmBatch(memories, targets), "loss").get("loss").getDouble(0);
        double lmParts = 0;
        for (Map<String, INDArray> part : lm.lmParts(memories, targets, 3)) {
            lmParts += lm.graph().output(part, "loss").get("loss").getDouble(0);
        }
        assertEquals(lmWhole, lmParts, 1e-9);
    }

    @Test
    public void aReplicaSharesTheWeightsItsOriginalHasNowAndFreesNoneOfThem() {
        DecoderLm lm = model();
        DecoderLm replica = lm.replica();
        float[][] memory = memory();
        List<int[]> choices = List.of(new int[] {7}, new int[] {9, 11});
        double[] before = replica.score(memory, choices, false);
        assertEquals(lm.score(memory, choices, false)[1], before[1], 1e-12);
        String name = GradientCheck.trainable(lm.graph()).get(0);
        lm.graph().getVariable(name).getArr().addi(0.5); // an optimiser's update through the original
        double[] after = replica.score(memory, choices, false);
        assertEquals(lm.score(memory, choices, false)[1], after[1], 1e-12);
        assertTrue("the update reached the replica", Math.abs(after[1] - before[1]) > 1e-6);
        replica.close();
        assertEquals(lm.score(memory, choices, false)[1], after[1], 1e-12);
    }

    @Test
    public void answerTokensOutsideTheOutputVocabularyAreNamed() {
        DecoderLm lm = model();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> lm.score(memory(), List.of(new int[] {8}), false));
        assertTrue(e.getMessage(), e.getMessage().contains("token 8 is not in the decoder's output vocabulary"));
    }

    @Test
    public void sinusoidsStartAtSineZeroCosineOne() {
        double[][] s = DecoderLm.sinusoids(3, 4);
        assertEquals(0.0, s[0][0], 0);
        assertEquals(1.0, s[0][1], 0);
        assertEquals(Math.sin(1), s[1][0], 1e-12);
    }
}
