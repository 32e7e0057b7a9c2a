package org.expertlm.engine.graph;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The decoder's hand-built sublayers on tiny shapes: gradients, causality, masking of encoder padding. */
public class DecoderBlocksTest {

    private static final DataType D = DataType.DOUBLE;
    private static final int B = 2;
    private static final int T = 3;
    private static final int S = 4;
    private static final int DIM = 4;

    /** A graph of all three sublayers with seeded trainable parameters, and its inputs. */
    private static SameDiff graph() {
        SameDiff sd = SameDiff.create();
        int[] seed = {100};
        Parameters p = (name, shape) -> sd.getVariable(name) != null ? sd.getVariable(name)
                : sd.var(name, Nd4j.randn(seed[0]++, shape).castTo(D).muli(0.5));
        SDVariable x = sd.placeHolder("x", D, -1, -1, DIM);
        SDVariable memory = sd.placeHolder("memory", D, -1, -1, DIM);
        SDVariable causal = sd.placeHolder("causal", D, -1, -1);
        SDVariable memoryBias = sd.placeHolder("memory_bias", D, -1, 1, 1, -1);
        SDVariable fanout = sd.placeHolder("fanout", D, 1, -1, 1, 1);
        SDVariable target = sd.placeHolder("target", D, -1, -1, DIM);
        DecoderBlocks blocks = new DecoderBlocks(sd, p, x, DIM, 2);
        SDVariable y = blocks.causalSelfAttention(x, causal, "self");
        y.rename("after_self");
        y = blocks.crossAttention(y, memory, memoryBias, fanout, "cross");
        y = blocks.feedForward(y, 6, "ffn");
        y.rename("y");
        SDVariable diff = y.sub(target);
        sd.mean(diff.mul(diff)).rename("loss");
        sd.setLossVariables("loss");
        return sd;
    }

    private static Map<String, INDArray> inputs() {
        Map<String, INDArray> in = new HashMap<>();
        in.put("x", Nd4j.randn(1, new long[] {B, T, DIM}).castTo(D));
        in.put("memory", Nd4j.randn(2, new long[] {B, S, DIM}).castTo(D));
        in.put("causal", Nd4j.createFromArray(DecoderBlocks.causalMask(T)));
        INDArray bias = Nd4j.zeros(D, B, 1, 1, S);
        bias.putScalar(new long[] {1, 0, 0, S - 1}, DecoderBlocks.MASKED); // the second sequence has one padded position
        in.put("memory_bias", bias);
        in.put("fanout", Nd4j.zeros(D, 1, 1, 1, 1)); // one row per input
        in.put("target", Nd4j.randn(3, new long[] {B, T, DIM}).castTo(D));
        return in;
    }

    @Test
    public void gradientsOfEveryParameterMatchFiniteDifferences() {
        SameDiff sd = graph();
        Map<String, INDArray> in = inputs();
        sd.output(in, "loss");
        List<String> names = GradientCheck.trainable(sd);
        assertEquals("2 attention blocks x 10 tensors + feed-forward 6", 26, names.size());
        GradientCheck.assertGradientsMatch(sd, in, names);
    }

    @Test
    public void aPositionSeesNothingAfterIt() {
        SameDiff sd = graph();
        Map<String, INDArray> in = inputs();
        INDArray before = sd.output(in, "after_self").get("after_self").dup();
        INDArray changed = in.get("x").dup();
        changed.get(NDArrayIndex.all(), NDArrayIndex.point(T - 1), NDArrayIndex.all()).addi(5.0);
        in.put("x", changed);
        INDArray after = sd.output(in, "after_self").get("after_self");
        INDArray earlierBefore = before.get(NDArrayIndex.all(), NDArrayIndex.interval(0, T - 1), NDArrayIndex.all());
        INDArray earlierAfter = after.get(NDArrayIndex.all(), NDArrayIndex.interval(0, T - 1), NDArrayIndex.all());
        assertTrue("earlier positions unchanged", earlierBefore.equalsWithEps(earlierAfter, 1e-12));
        assertFalse("the changed position changed", before.equalsWithEps(after, 1e-6));
    }

    /** One input serving both rows: keys and values projected once, broadcast to the rows. */
    private static Map<String, INDArray> sharedInput() {
        Map<String, INDArray> in = inputs();
        in.put("memory", in.get("memory").get(NDArrayIndex.interval(0, 1), NDArrayIndex.all(), NDArrayIndex.all()).dup());
        in.put("memory_bias", Nd4j.zeros(D, B, 1, 1, S));
        in.put("fanout", Nd4j.zeros(D, 1, B, 1, 1));
        return in;
    }

    @Test
    public void anInputServingSeveralRowsEqualsItsStatesRepeatedAndItsGradientsMatch() {
        SameDiff sd = graph();
        Map<String, INDArray> shared = sharedInput();
        Map<String, INDArray> repeated = new HashMap<>(shared);
        repeated.put("memory", Nd4j.concat(0, shared.get("memory"), shared.get("memory")));
        repeated.put("fanout", Nd4j.zeros(D, 1, 1, 1, 1));
        INDArray y = sd.output(shared, "y").get("y").dup();
        assertTrue(y.equalsWithEps(sd.output(repeated, "y").get("y"), 1e-12));
        GradientCheck.assertGradientsMatch(sd, shared, GradientCheck.trainable(sd));
    }

    @Test
    public void paddedEncoderPositionsAreIgnored() {
        SameDiff sd = graph();
        Map<String, INDArray> in = inputs();
        INDArray before = sd.output(in, "y").get("y").dup();
        INDArray memory = in.get("memory").dup();
        memory.get(NDArrayIndex.point(1), NDArrayIndex.point(S - 1), NDArrayIndex.all()).addi(7.0);
        in.put("memory", memory);
        assertTrue("changing a padded encoder state changes nothing", before.equalsWithEps(sd.output(in, "y").get("y"), 1e-12));
    }
}
