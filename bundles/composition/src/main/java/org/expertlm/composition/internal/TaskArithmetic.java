package org.expertlm.composition.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.expertlm.api.MergeMethod;
import org.osgi.service.component.annotations.Component;

/** Task arithmetic: λ · Σ wᵢ·vᵢ, the members' updates added (λ = 1 / k with weights 1 is the average). */
@Component(property = MergeMethod.NAME + "=" + TaskArithmetic.NAME)
public final class TaskArithmetic implements MergeMethod {

    static final String NAME = "task-arithmetic";

    @Override
    public float[] merge(List<float[]> vectors, double[] weights, Parameters p) {
        return TaskVectors.weightedSum(vectors, linearCoefficients(weights, p).orElseThrow(), 1);
    }

    @Override
    public Optional<double[]> linearCoefficients(double[] weights, Parameters p) {
        return Optional.of(Arrays.stream(weights).map(w -> w * p.lambda()).toArray());
    }
}
