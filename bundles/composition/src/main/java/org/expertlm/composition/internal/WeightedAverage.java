package org.expertlm.composition.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.expertlm.api.MergeMethod;
import org.osgi.service.component.annotations.Component;

/** Σ wᵢ·vᵢ / Σ wᵢ (times λ): the mean with the members weighed. */
@Component(property = MergeMethod.NAME + "=" + WeightedAverage.NAME)
public final class WeightedAverage implements MergeMethod {

    static final String NAME = "weighted";

    @Override
    public float[] merge(List<float[]> vectors, double[] weights, Parameters p) {
        return TaskVectors.weightedSum(vectors, linearCoefficients(weights, p).orElseThrow(), 1);
    }

    @Override
    public Optional<double[]> linearCoefficients(double[] weights, Parameters p) {
        double total = Arrays.stream(weights).sum();
        if (total == 0) {
            throw new IllegalArgumentException("weights " + Arrays.toString(weights) + " sum to 0; a weighted average needs a "
                    + "non-zero sum (use --method task-arithmetic to add updates as they are)");
        }
        return Optional.of(Arrays.stream(weights).map(w -> w * p.lambda() / total).toArray());
    }
}
