package org.expertlm.engine.train;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.DecoderConfig;
import org.expertlm.engine.lm.DecoderLm;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.SafeTensors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

public class AdamWTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static final int[] VOCABULARY = {1, 7, 9, 11};
    private static final AdamW.Config CONFIG = new AdamW.Config(1e-2, 0.9, 0.999, 1e-8, 0.01, 5, 80, 1.0);

    @Test
    public void theRateWarmsUpThenDecaysLinearlyToZero() {
        AdamW.Config c = new AdamW.Config(1.0, 0.9, 0.999, 1e-8, 0, 2, 6, 0);
        double[] expected = {0.5, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0};
        for (int step = 0; step < expected.length; step++) {
            assertEquals("step " + step, expected[step], AdamW.learningRate(c, step), 1e-12);
        }
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Config(1e-3, 0.9, 0.999, 1e-8, 0, 10, 5, 0));
    }

    @Test
    public void gradientsAreClippedToTheirGlobalNorm() {
        Map<String, INDArray> g = new HashMap<>(Map.of("a", Nd4j.createFromArray(3.0, 0.0), "b", Nd4j.createFromArray(4.0)));
        assertEquals(5.0, AdamW.clip(g, 1.0), 1e-12);
        assertArrayEquals(new double[] {0.6, 0.0}, g.get("a").toDoubleVector(), 1e-12);
        assertArrayEquals(new double[] {0.8}, g.get("b").toDoubleVector(), 1e-12);
        assertEquals("under the limit nothing changes", 1.0, AdamW.clip(g, 2.0), 1e-12);
    }

    @Test
    public void aStepFollowsTheGradientOfTheLossItWasGivenNotTheGraphsDefault() {
        SameDiff sd = SameDiff.create();
        INDArray start = Nd4j.createFromArray(-2.0f, 1.0f, 3.0f);
        SDVariable w = sd.var("w", start.dup());
        sd.sum("squares", w.mul(w));
        sd.sum("total", w);
        sd.setLossVariables("squares");
        AdamW optimiser = new AdamW(sd, List.of("w"), "total", new AdamW.Config(0.1, 0.9, 0.999, 1e-8, 0, 0, 10, 0));
        optimiser.step(Map.of());
        // d total / dw = 1 everywhere, so Adam's first step lowers each weight by the rate; following
        // d squares / dw = 2w would raise the negative one.
        assertArrayEquals(new double[] {-2.1, 0.9, 2.9}, sd.getVariable("w").getArr().toDoubleVector(), 1e-5);
        assertThrows(IllegalStateException.class, () -> new AdamW(sd, List.of("w"), "squares", CONFIG));
    }

    private static DecoderLm tinyDecoder() {
        SameDiff sd = SameDiff.create();
        return DecoderLm.build(new DecoderConfig(1, 8, 2, 16, 3, VOCABULARY),
                new FloatTensor(new long[] {12, 8}, Nd4j.randn(3, new long[] {96}).toFloatVector()), sd,
                Parameters.trainable(sd, 5, DataType.FLOAT), DataType.FLOAT);
    }

    /** A tiny decoder and two inputs whose encoder states differ; the answer to A is 7, to B is 9. */
    private static final class Task {
        final SameDiff sd = SameDiff.create();
        final DecoderLm lm = DecoderLm.build(new DecoderConfig(1, 8, 2, 16, 3, VOCABULARY),
                new FloatTensor(new long[] {12, 8}, Nd4j.randn(3, new long[] {96}).toFloatVector()), sd,
                Parameters.trainable(sd, 5, DataType.FLOAT), DataType.FLOAT);
        final float[][] a = Nd4j.randn(10, new long[] {4, 8}).toFloatMatrix();
        final float[][] b = Nd4j.randn(11, new long[] {4, 8}).toFloatMatrix();
        final AdamW optimizer = new AdamW(sd, AdamW.trainableVariables(sd), "loss", CONFIG);

        void train(int steps) {
            for (int i = 0; i < steps; i++) {
                optimizer.step(i % 2 == 0 ? lm.batch(a, List.of(new int[] {7})) : lm.batch(b, List.of(new int[] {9})));
            }
        }

        boolean answers(float[][] memory, int expected) {
            double[] scores = lm.score(memory, List.of(new int[] {7}, new int[] {9}, new int[] {11}), false);
            int best = 0;
            for (int i = 1; i < scores.length; i++) {
                if (scores[i] > scores[best]) {
                    best = i;
                }
            }
            return new int[] {7, 9, 11}[best] == expected;
        }
    }

    @Test
    public void stepsComputedInPartsSideBySideFollowTheWholeBatch() {
        DecoderLm one = tinyDecoder();
        DecoderLm lm = tinyDecoder();
        SameDiff sd = lm.graph();
        List<int[]> choices = List.of(new int[] {7}, new int[] {9}, new int[] {11});
        float[][] a = Nd4j.randn(10, new long[] {4, 8}).toFloatMatrix();
        List<float[][]> memories = List.of(a, Nd4j.randn(11, new long[] {3, 8}).toFloatMatrix(), a);
        List<List<int[]>> perInput = List.of(choices, choices, choices);
        int[] gold = {0, 1, 0};
        try (SideBySide workers = new SideBySide(2);
                AdamW alone = new AdamW(one.graph(), AdamW.trainableVariables(one.graph()), "lm_rank_loss", CONFIG);
                AdamW inParts = new AdamW(List.of(sd, lm.replica().graph()), workers, AdamW.trainableVariables(sd),
                        "lm_rank_loss", CONFIG)) {
            for (int step = 0; step < 5; step++) {
                double whole = alone.step(one.classificationBatch(memories, perInput, gold));
                double parts = inParts.step(lm.classificationParts(memories, perInput, gold, 2));
                assertEquals("loss at step " + step, whole, parts, 1e-5);
            }
            for (String name : AdamW.trainableVariables(sd)) {
                INDArray difference = sd.getVariable(name).getArr().sub(one.graph().getVariable(name).getArr());
                assertEquals(name, 0, difference.amaxNumber().doubleValue(), 1e-5);
            }
            assertTrue("training moved the weights", one.graph().getVariable("decoder.final.norm.weight").getArr()
                    .sub(1).amaxNumber().doubleValue() > 1e-4);
        }
    }

    @Test
    public void aTinyTaskIsLearnedAndOnlyTrainableVariablesMove() {
        Task task = new Task();
        INDArray table = task.sd.getVariable("decoder.embeddings").getArr().dup();
        task.train(80);
        assertTrue(task.answers(task.a, 7));
        assertTrue(task.answers(task.b, 9));
        INDArray after = task.sd.getArrForVarName("decoder.embeddings");
        assertTrue("the frozen embeddings are still there", after != null);
        assertTrue("the frozen embeddings are bit-identical", table.equals(after));
        assertEquals(80, task.optimizer.stepsTaken());
    }

    @Test
    public void resumingFromACheckpointGivesTheSameWeightsAsAnUninterruptedRun() throws IOException {
        Task straight = new Task();
        straight.train(12);

        Task first = new Task();
        first.train(6);
        Path checkpoint = folder.getRoot().toPath().resolve("step6.safetensors");
        first.optimizer.save(checkpoint);
        Task resumed = new Task();
        resumed.optimizer.restore(checkpoint);
        assertEquals(6, resumed.optimizer.stepsTaken());
        for (int i = 6; i < 12; i++) {
            resumed.optimizer.step(i % 2 == 0 ? resumed.lm.batch(resumed.a, List.of(new int[] {7}))
                    : resumed.lm.batch(resumed.b, List.of(new int[] {9})));
        }
        for (String name : AdamW.trainableVariables(straight.sd)) {
            assertArrayEquals(name, straight.sd.getVariable(name).getArr().data().asFloat(),
                    resumed.sd.getVariable(name).getArr().data().asFloat(), 0f);
        }
        assertFalse("training changed the weights", straight.sd.getVariable("decoder.final.norm.bias").getArr().equals(
                Nd4j.zeros(DataType.FLOAT, 8)));
    }

    @Test
    public void aCheckpointOfAnotherModelIsRefusedNamingTheTensor() throws IOException {
        Task task = new Task();
        Path wrong = folder.getRoot().toPath().resolve("wrong.safetensors");
        SafeTensors.write(wrong, Map.of("param/x", new FloatTensor(new long[] {1}, new float[] {1})), Map.of());
        IOException e = assertThrows(IOException.class, () -> task.optimizer.restore(wrong));
        assertTrue(e.getMessage(), e.getMessage().contains("is missing"));
    }
}
