package org.expertlm.composition.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.expertlm.api.MergeMethod;
import org.osgi.service.component.annotations.Component;

/** The paper's merge: the plain mean of the members' vectors (times λ). Weights other than the default 1 are refused. */
@Component(property = MergeMethod.NAME + "=" + UniformAverage.NAME)
public final class UniformAverage implements MergeMethod {

    static final String NAME = "average";

    @Override
    public float[] merge(List<float[]> vectors, double[] weights, Parameters p) {
        return TaskVectors.weightedSum(vectors, linearCoefficients(weights, p).orElseThrow(), 1);
    }

    @Override
    public Optional<double[]> linearCoefficients(double[] weights, Parameters p) {
        for (double w : weights) {
            if (w != 1) {
                throw new IllegalArgumentException("the uniform average takes no weights (got " + Arrays.toString(weights)
                        + "); use --method " + WeightedAverage.NAME + " to weigh the experts");
            }
        }
        double[] equal = new double[weights.length];
        Arrays.fill(equal, p.lambda() / weights.length);
        return Optional.of(equal);
    }
}
