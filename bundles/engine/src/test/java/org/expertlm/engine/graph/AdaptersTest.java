package org.expertlm.engine.graph;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/** The adapter blocks: gradients against finite differences, identity at start, a frozen base untouched by training. */
public class AdaptersTest {

    private static final DataType D = DataType.DOUBLE;

    /** A graph: loss = mean((block(x) - target)^2) with x and target as placeholders. */
    private interface Block {
        SDVariable apply(SameDiff sd, SDVariable x);
    }

    private static SameDiff graph(Block block, int in, int out) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", D, -1, in);
        SDVariable target = sd.placeHolder("target", D, -1, out);
        SDVariable y = block.apply(sd, x);
        y.rename("y");
        SDVariable diff = y.sub(target);
        sd.mean(diff.mul(diff)).rename("loss");
        sd.setLossVariables("loss");
        return sd;
    }

    private static Map<String, INDArray> inputs(int rows, int in, int out) {
        return Map.of("x", Nd4j.randn(7, new long[] {rows, in}).castTo(D), "target", Nd4j.randn(8, new long[] {rows, out}).castTo(D));
    }

    /** Central differences of the loss for every element of every trainable variable, against autodiff. */
    private static void checkGradients(SameDiff sd, Map<String, INDArray> in, int trainable) {
        // Move the zero-initialised matrices off zero first, so that every path carries gradient.
        GradientCheck.trainable(sd).forEach(n -> sd.getVariable(n).getArr()
                .addi(Nd4j.randn(11, sd.getVariable(n).getArr().shape()).castTo(D).muli(0.1)));
        List<String> names = GradientCheck.trainable(sd);
        assertEquals("trainable tensors " + names, trainable, names.size());
        GradientCheck.assertGradientsMatch(sd, in, names);
    }

    @Test
    public void houlsbyGradientsMatchFiniteDifferences() {
        SameDiff sd = graph((g, x) -> Adapters.houlsby(g, x, "h", 4, 2, 1, D), 4, 4);
        checkGradients(sd, inputs(3, 4, 4), 4);
    }

    @Test
    public void loraGradientsMatchFiniteDifferences() {
        SameDiff sd = graph((g, x) -> Adapters.lora(g, x, g.constant("w", Nd4j.randn(5, new long[] {4, 3}).castTo(D)),
                "q", 4, 3, 2, 4.0, 1, D), 4, 3);
        checkGradients(sd, inputs(3, 4, 3), 2);
    }

    @Test
    public void anUntrainedAdapterIsTheIdentityOfItsBase() {
        Map<String, INDArray> in = inputs(3, 4, 4);
        SameDiff houlsby = graph((g, x) -> Adapters.houlsby(g, x, "h", 4, 2, 1, D), 4, 4);
        assertEquals(in.get("x"), houlsby.output(in, "y").get("y"));
        INDArray w = Nd4j.randn(5, new long[] {4, 4}).castTo(D);
        SameDiff lora = graph((g, x) -> Adapters.lora(g, x, g.constant("w", w), "q", 4, 4, 2, 4.0, 1, D), 4, 4);
        assertEquals(in.get("x").mmul(w), lora.output(in, "y").get("y"));
    }

    @Test
    public void trainingMovesOnlyTheAdapterAndLeavesTheBaseBitIdentical() {
        INDArray base = Nd4j.randn(5, new long[] {4, 3}).castTo(DataType.FLOAT);
        INDArray before = base.dup();
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 4);
        SDVariable target = sd.placeHolder("target", DataType.FLOAT, -1, 3);
        SDVariable y = Adapters.lora(sd, x, sd.constant("w", base), "q", 4, 3, 2, 4.0, 1, DataType.FLOAT);
        SDVariable diff = y.sub(target);
        sd.mean(diff.mul(diff)).rename("loss");
        sd.setLossVariables("loss");
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(1e-2))
                .dataSetFeatureMapping("x").dataSetLabelMapping("target").build());
        INDArray b0 = sd.getVariable("q.lora_b").getArr().dup();
        MultiDataSet data = new MultiDataSet(new INDArray[] {Nd4j.randn(7, new long[] {8, 4}).castTo(DataType.FLOAT)},
                new INDArray[] {Nd4j.randn(8, new long[] {8, 3}).castTo(DataType.FLOAT)});
        for (int step = 0; step < 5; step++) {
            sd.fit(data);
        }
        assertTrue("the frozen base is bit-identical", before.equals(sd.getVariable("w").getArr()));
        assertNotEquals("the adapter trained", b0, sd.getVariable("q.lora_b").getArr());
    }
}
