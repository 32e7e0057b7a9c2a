package org.expertlm.engine.graph;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The layer norm built from divisions: the textbook function, and its gradients by finite differences. */
public class GraphOpsTest {

    private static final DataType D = DataType.DOUBLE;

    @Test
    public void layerNormIsTheTextbookFunctionAZeroGainIncluded() {
        INDArray x = Nd4j.randn(1, new long[] {2, 3, 5}).castTo(D);
        INDArray gain = Nd4j.createFromArray(0.5, -1.5, 0.0, 2.0, 1.0);
        INDArray bias = Nd4j.createFromArray(0.1, 0.2, 0.3, -0.4, 0.0);
        SameDiff sd = SameDiff.create();
        GraphOps.layerNorm(sd, sd.placeHolder("x", D, -1, -1, 5), 2, sd.constant(gain), sd.constant(bias), 1e-5).rename("y");
        INDArray y = sd.output(Map.of("x", x), "y").get("y");
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < 3; t++) {
                double mean = 0;
                double square = 0;
                for (int i = 0; i < 5; i++) {
                    mean += x.getDouble(b, t, i) / 5;
                }
                for (int i = 0; i < 5; i++) {
                    square += Math.pow(x.getDouble(b, t, i) - mean, 2) / 5;
                }
                for (int i = 0; i < 5; i++) {
                    double expected = (x.getDouble(b, t, i) - mean) / Math.sqrt(square + 1e-5) * gain.getDouble(i) + bias.getDouble(i);
                    assertEquals("y[" + b + "," + t + "," + i + "]", expected, y.getDouble(b, t, i), 1e-12);
                }
            }
        }
    }

    @Test
    public void layerNormGradientsMatchFiniteDifferences() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", Nd4j.randn(2, new long[] {2, 3, 4}).castTo(D));
        SDVariable gain = sd.var("gain", Nd4j.createFromArray(0.5, -1.5, 1.2, 2.0));
        SDVariable bias = sd.var("bias", Nd4j.createFromArray(0.1, 0.2, 0.3, -0.4));
        SDVariable weights = sd.constant(Nd4j.randn(3, new long[] {2, 3, 4}).castTo(D));
        sd.sum(GraphOps.layerNorm(sd, x, 2, gain, bias, 1e-5).mul(weights)).rename("loss");
        GradientCheck.assertGradientsMatch(sd, Map.of(), List.of("x", "gain", "bias"));
    }
}
