package org.expertlm.composition.internal;

import java.util.List;

import org.expertlm.api.MergeMethod;
import org.osgi.service.component.annotations.Component;

/** DARE's seeded drop and rescale in place of TIES's trim, then TIES's sign election and agreeing mean (times λ). */
@Component(property = MergeMethod.NAME + "=" + DareTies.NAME)
public final class DareTies implements MergeMethod {

    static final String NAME = "dare-ties";

    @Override
    public float[] merge(List<float[]> vectors, double[] weights, Parameters p) {
        TaskVectors.length(vectors, weights);
        return TaskVectors.electedMean(Dare.dropped(vectors, p), weights, p.lambda());
    }
}
