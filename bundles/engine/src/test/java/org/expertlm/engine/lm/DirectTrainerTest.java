package org.expertlm.engine.lm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.GradientCheck;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.train.AdamW;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The direct trainer's loss and gradients are the graph's (its differentiation is the reference), for
 * every adapter kind, with and without adapted encoder layers, for the rank loss and the LM loss alone;
 * and an optimiser driven by it follows the graph's optimiser step for step.
 */
public class DirectTrainerTest {

    private static final AdapterPlan EVERY_KIND = new AdapterPlan(Set.of("self", "cross", "ffn"), 32, Set.of("self", "cross"), 4, 8,
            2, 3);
    private static final int[] GOLD = {1, 0, 2};

    private static MiniLmModel encoder;
    private static BaseModel base;

    @BeforeClass
    public static void load() {
        encoder = MiniLmFiles.model(2);
        base = TinyDecoders.base(encoder);
    }

    @AfterClass
    public static void close() {
        encoder.close();
    }

    @Test
    public void everyAdapterKindGetsTheGraphsGradients() {
        assertGradientsAsTheGraph(EVERY_KIND, DataType.DOUBLE, true, 1e-9);
        assertGradientsAsTheGraph(EVERY_KIND, DataType.FLOAT, true, 1e-4);
    }

    @Test
    public void withoutEncoderLayersAndWithTheLmLossAloneTheGradientsAreTheGraphs() {
        assertGradientsAsTheGraph(new AdapterPlan(Set.of("ffn"), 16, Set.of("cross"), 4, 8, 0, 5), DataType.DOUBLE, true, 1e-9);
        assertGradientsAsTheGraph(new AdapterPlan(Set.of("self", "cross"), 32, Set.of(), 4, 8, 1, 7), DataType.DOUBLE, false, 1e-9);
    }

    @Test
    public void anOptimiserOnTheDirectTrainerFollowsTheGraphsStepForStep() {
        SameDiff graphSd = SameDiff.create();
        DecoderLm graphLm = DecoderLm.withAdapters(base, encoder.weights(), graphSd, EVERY_KIND, DataType.DOUBLE);
        SameDiff directSd = SameDiff.create();
        DecoderLm directLm = DecoderLm.withAdapters(base, encoder.weights(), directSd, EVERY_KIND, DataType.DOUBLE);
        List<float[][]> states = encoder.tokenStates(TinyDecoders.TEXTS, DecoderLm.memoryLayers(EVERY_KIND));
        List<String> variables = AdamW.trainableVariables(graphSd);
        AdamW.Config config = new AdamW.Config(5e-2, 0.9, 0.999, 1e-8, 0.01, 2, 6, 1.0);
        try (SideBySide workers = new SideBySide(2); DirectTrainer trainer = DirectTrainer.of(directLm);
                AdamW graph = new AdamW(graphSd, variables, "lm_rank_loss", config);
                AdamW direct = new AdamW(directSd, trainer, workers, variables, "lm_rank_loss", config)) {
            double first = 0;
            double last = 0;
            for (int step = 0; step < 6; step++) {
                double expected = graph.step(graphLm.classificationBatch(states, TinyDecoders.CHOICES, GOLD));
                // In two parts side by side: the parts' gradients add up to the batch's.
                double actual = direct.step(directLm.classificationParts(states, TinyDecoders.CHOICES, GOLD, 2));
                assertEquals("loss at step " + step, expected, actual, 1e-9);
                first = step == 0 ? actual : first;
                last = actual;
            }
            assertTrue("training lowered the loss: " + first + " -> " + last, last < first - 0.05);
            for (String name : variables) {
                INDArray difference = directSd.getVariable(name).getArr().sub(graphSd.getVariable(name).getArr());
                assertEquals(name, 0, difference.amaxNumber().doubleValue(), 1e-9);
            }
        }
    }

    @Test
    public void aModelWithoutAdaptersIsRefusedWithTheReason() {
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.fineTuning(base, encoder.weights(), sd, DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DirectTrainer.of(lm));
        assertTrue(e.getMessage(), e.getMessage().contains("trains on its graph"));
    }

    private static void assertGradientsAsTheGraph(AdapterPlan plan, DataType type, boolean rankLoss, double tolerance) {
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd, plan, type);
        TinyDecoders.perturb(sd); // off the identity: every adapter's gradient is then non-zero and depends on the others
        String loss = rankLoss ? "lm_rank_loss" : "loss";
        sd.setLossVariables(loss);
        List<float[][]> states = encoder.tokenStates(TinyDecoders.TEXTS, DecoderLm.memoryLayers(plan));
        Map<String, INDArray> batch = rankLoss ? lm.classificationBatch(states, TinyDecoders.CHOICES, GOLD)
                : lm.lmBatch(states, TinyDecoders.CHOICES.stream().map(c -> c.get(1)).toList());
        List<String> variables = GradientCheck.trainable(sd);
        OutAndGrad expected = sd.calculateGradientsAndOutputs(batch, List.of(loss), variables);
        try (DirectTrainer trainer = DirectTrainer.of(lm)) {
            DirectTrainer.Result actual = trainer.gradients(batch, rankLoss);
            double expectedLoss = expected.getOutputs().get(loss).getDouble(0);
            assertEquals("loss", expectedLoss, actual.loss(), tolerance * Math.abs(expectedLoss));
            assertEquals(Set.copyOf(variables), actual.gradients().keySet());
            for (String name : variables) {
                INDArray graph = expected.getGradients().get(name);
                INDArray direct = actual.gradients().get(name);
                assertEquals(name + " shape", Arrays.toString(graph.shape()), Arrays.toString(direct.shape()));
                double scale = graph.amaxNumber().doubleValue();
                assertTrue(name + " has a gradient", scale > 0);
                double error = direct.castTo(graph.dataType()).sub(graph).amaxNumber().doubleValue() / scale;
                assertTrue(name + ": relative error " + error, error < tolerance);
            }
        }
    }
}
