package org.expertlm.composition.internal;

import java.util.List;

import org.expertlm.api.MergeMethod;
import org.osgi.service.component.annotations.Component;

/**
 * DARE (Yu et al., 2024) with task arithmetic: each member's entries dropped at the rate 1 − density (seeded), the kept
 * ones rescaled by 1 / density so that each member's expected update is unchanged, then λ · Σ wᵢ·vᵢ.
 */
@Component(property = MergeMethod.NAME + "=" + Dare.NAME)
public final class Dare implements MergeMethod {

    static final String NAME = "dare";

    @Override
    public float[] merge(List<float[]> vectors, double[] weights, Parameters p) {
        TaskVectors.length(vectors, weights);
        return TaskVectors.weightedSum(dropped(vectors, p), weights, p.lambda());
    }

    static List<float[]> dropped(List<float[]> vectors, Parameters p) {
        return TaskVectors.each(vectors, v -> TaskVectors.dropAndRescale(v, p.density(), p.seed(), p.tensor()));
    }
}
