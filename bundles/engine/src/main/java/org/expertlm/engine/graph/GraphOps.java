package org.expertlm.engine.graph;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Operations the models build from SameDiff's primitives. */
public final class GraphOps {

    private GraphOps() {
    }

    /** GELU with erf, as BERT defines it (not the tanh approximation): x/2 · (1 + erf(x/√2)). */
    public static SDVariable gelu(SameDiff sd, SDVariable x) {
        return x.mul(0.5).mul(sd.math.erf(x.div(Math.sqrt(2.0))).add(1.0));
    }
}
