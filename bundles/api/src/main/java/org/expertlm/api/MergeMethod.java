package org.expertlm.api;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A way of merging experts, one tensor at a time: a whiteboard service found by its {@value #NAME} property, so that a
 * new method is a new component. It sees task vectors, never adapter factors: for a LoRA pair the composer hands it
 * the update ΔW = scale·A·B, for a bottleneck adapter its tensor's distance from where training started, θ − θ₀.
 *
 * <pre>{@code
 * @Component(property = MergeMethod.NAME + "=sum")
 * public final class Sum implements MergeMethod {
 *     public float[] merge(List<float[]> vectors, double[] weights, Parameters p) { … }
 * }
 * }</pre>
 */
@ConsumerType
public interface MergeMethod {

    /** Service property: the method's name, as {@code elm:merge --method} takes it (lower case, e.g. {@code ties}). */
    String NAME = "merge.method";

    /**
     * How a merge is tuned; each method uses those it names.
     *
     * @param density the share of each vector's entries kept (TIES: the largest in magnitude; DARE: a seeded random
     *     share, the kept ones rescaled by 1 / density), from 0 to 1
     * @param lambda the factor the merged vector is scaled by (task arithmetic's λ)
     * @param seed of any random choice (DARE's drops)
     * @param tensor the tensor's name, mixed into the seed so that each tensor drops its own entries
     */
    record Parameters(double density, double lambda, long seed, String tensor) {

        public Parameters {
            if (!(density >= 0 && density <= 1)) {
                throw new IllegalArgumentException("density " + density + ": expected a share from 0 to 1");
            }
            if (!Double.isFinite(lambda)) {
                throw new IllegalArgumentException("lambda " + lambda + ": expected a finite number");
            }
        }
    }

    /**
     * The merge of one tensor's task vectors, a new array of their length. The composer merges a composite's tensors
     * side by side, so this is called from several threads at once: keep no state between calls.
     *
     * @param vectors the members' vectors, all of one length, in the recipe's order; not changed
     * @param weights one per member, as the recipe gives them (1 each unless the user said otherwise)
     */
    float[] merge(List<float[]> vectors, double[] weights, Parameters parameters);

    /**
     * The coefficients cᵢ when this method's merge of every tensor is Σ cᵢ·vᵢ, the same for every tensor (the averages,
     * task arithmetic); empty (the default) for a method that looks at the values (TIES, DARE). With them the composer
     * carries a merge of LoRA pairs exactly as one pair of stacked factors, A' = [c₁·s₁·A₁ | … ] and B' = [B₁; …], whose
     * product is Σ cᵢ·ΔWᵢ, rather than materialising every update; {@link #merge} must agree with them.
     *
     * @param parameters as {@link #merge} takes them, with an empty tensor name
     */
    default Optional<double[]> linearCoefficients(double[] weights, Parameters parameters) {
        return Optional.empty();
    }
}
