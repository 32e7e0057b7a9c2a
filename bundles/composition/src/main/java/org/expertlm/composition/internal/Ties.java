package org.expertlm.composition.internal;

import java.util.List;

import org.expertlm.api.MergeMethod;
import org.osgi.service.component.annotations.Component;

/**
 * TIES-merging (Yadav et al., 2023): each member trimmed to its largest entries (the density's share), a sign elected
 * per entry, and the mean of the members that agree with it (times λ).
 */
@Component(property = MergeMethod.NAME + "=" + Ties.NAME)
public final class Ties implements MergeMethod {

    static final String NAME = "ties";

    @Override
    public float[] merge(List<float[]> vectors, double[] weights, Parameters p) {
        TaskVectors.length(vectors, weights);
        return TaskVectors.trimmedElectedMean(vectors, weights, p.density(), p.lambda());
    }
}
