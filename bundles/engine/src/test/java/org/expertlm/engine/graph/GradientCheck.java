package org.expertlm.engine.graph;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Central finite differences of a graph's loss against SameDiff's gradients, element by element (double graphs). */
public final class GradientCheck {

    private GradientCheck() {
    }

    /** The names of the graph's trainable variables. */
    public static List<String> trainable(SameDiff sd) {
        return sd.variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE).map(SDVariable::name).toList();
    }

    /** Asserts that d loss / d w matches (loss(w + ε) − loss(w − ε)) / 2ε for every element of every named variable. */
    public static void assertGradientsMatch(SameDiff sd, Map<String, INDArray> in, List<String> names) {
        assertGradientsMatch(sd, in, names, "loss");
    }

    /** The same for the output {@code loss}, which becomes the graph's loss variable. */
    public static void assertGradientsMatch(SameDiff sd, Map<String, INDArray> in, List<String> names, String loss) {
        sd.setLossVariables(loss);
        Map<String, INDArray> analytic = sd.calculateGradients(in, names);
        double eps = 1e-6;
        for (String name : names) {
            INDArray w = sd.getVariable(name).getArr();
            for (long i = 0; i < w.length(); i++) {
                double original = w.getDouble(i);
                w.putScalar(i, original + eps);
                double plus = sd.output(in, loss).get(loss).getDouble(0);
                w.putScalar(i, original - eps);
                double minus = sd.output(in, loss).get(loss).getDouble(0);
                w.putScalar(i, original);
                double numeric = (plus - minus) / (2 * eps);
                assertEquals(name + "[" + i + "]", numeric, analytic.get(name).getDouble(i), 1e-6 + 1e-4 * Math.abs(numeric));
            }
        }
    }
}
