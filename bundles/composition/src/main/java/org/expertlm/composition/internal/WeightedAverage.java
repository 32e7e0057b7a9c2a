package org.expertlm.composition.internal;

import java.util.Arrays;
import java.util.List;

import org.expertlm.api.MergeMethod;
import org.osgi.service.component.annotations.Component;

/** Σ wᵢ·vᵢ / Σ wᵢ (times λ): the mean with the members weighed. */
@Component(property = MergeMethod.NAME + "=" + WeightedAverage.NAME)
public final class WeightedAverage implements MergeMethod {

    static final String NAME = "weighted";

    @Override
    public float[] merge(List<float[]> vectors, double[] weights, Parameters p) {
        double total = Arrays.stream(weights).sum();
        if (total == 0) {
            throw new IllegalArgumentException("weights " + Arrays.toString(weights) + " sum to 0; a weighted average needs a "
                    + "non-zero sum (use --method task-arithmetic to add updates as they are)");
        }
        return TaskVectors.weightedSum(vectors, weights, p.lambda() / total);
    }
}
