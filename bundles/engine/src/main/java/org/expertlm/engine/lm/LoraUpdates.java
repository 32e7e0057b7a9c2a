package org.expertlm.engine.lm;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ModelFormatException;

/**
 * LoRA updates carried whole ({@link ExpertFormat#LORA_UPDATE}): a tensor {@code <projection>.delta} [in, out] is the
 * update ΔW itself, where a plan of full rank r = min(in, out) and scale 1 (alpha = r) would hold the pair A [in, r],
 * B [r, out] with A·B = ΔW. A composite's merged updates come so (a merged update has no low-rank factors), in half the
 * floats of the pair A = ΔW, B = I. The model's graph has the pair's variables: an update is turned back into that
 * pair when the expert is loaded, and the scorer folds A·B into the projection's weight as for any expert.
 */
public final class LoraUpdates {

    private static final String A = ".lora_a";
    private static final String B = ".lora_b";

    private LoraUpdates() {
    }

    /**
     * The shapes {@code tensors} must have when {@code pairs} are the plan's LoRA pairs (and every other tensor it
     * makes): each pair whose update the tensors carry whole replaced by the update's shape [in, out].
     *
     * @throws ModelFormatException when an update is carried whole under a plan whose rank is not full or whose scale
     *     is not 1, naming the tensor and the plan
     */
    public static Map<String, long[]> expected(Map<String, long[]> pairs, AdapterTensors tensors, AdapterConfig plan, String source)
            throws ModelFormatException {
        Map<String, long[]> expected = new TreeMap<>(pairs);
        for (String name : tensors.names()) {
            String projection = projection(name);
            if (projection == null || !pairs.containsKey(projection + A) || !pairs.containsKey(projection + B)) {
                continue; // not an update, or one the plan has no pair for: refused as unexpected by the shape check
            }
            long[] a = pairs.get(projection + A);
            long[] b = pairs.get(projection + B);
            try {
                fullRank(name, a[0], b[1], plan);
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(source + ": " + e.getMessage());
            }
            expected.remove(projection + A);
            expected.remove(projection + B);
            expected.put(name, new long[] {a[0], b[1]});
        }
        return expected;
    }

    /**
     * The tensors as the model loads them: each update ΔW [in, out] carried whole as its pair of rank r = min(in, out),
     * A = ΔW and B = the identity (or A = the identity and B = ΔW when in &lt; out); the tensors themselves when they
     * carry none.
     *
     * @throws IllegalArgumentException when {@code plan} cannot hold such a pair (its rank is not full, or its scale is
     *     not 1), naming the tensor
     */
    public static AdapterTensors pairs(AdapterTensors tensors, AdapterConfig plan) {
        if (tensors.names().stream().noneMatch(n -> projection(n) != null)) {
            return tensors;
        }
        AdapterTensors.Builder out = AdapterTensors.builder();
        tensors.metadata().forEach(out::metadata);
        for (String name : tensors.names()) {
            String projection = projection(name);
            long[] shape = tensors.shape(name);
            if (projection == null) {
                out.put(name, shape, tensors.values(name));
                continue;
            }
            if (shape.length != 2) {
                throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape)
                        + "; a LoRA update carried whole is a matrix [in, out]");
            }
            fullRank(name, shape[0], shape[1], plan);
            int rank = (int) Math.min(shape[0], shape[1]);
            long[] square = {rank, rank};
            float[] identity = new float[rank * rank];
            for (int i = 0; i < rank; i++) {
                identity[i * rank + i] = 1;
            }
            if (shape[1] == rank) {
                out.put(projection + A, shape, tensors.values(name)).put(projection + B, square, identity);
            } else {
                out.put(projection + A, square, identity).put(projection + B, shape, tensors.values(name));
            }
        }
        return out.build();
    }

    private static void fullRank(String name, long in, long out, AdapterConfig plan) {
        if (plan == null || plan.loraRank() != Math.min(in, out) || plan.loraAlpha() != plan.loraRank()) {
            throw new IllegalArgumentException("tensor " + name + " is a LoRA update [" + in + ", " + out + "] carried whole, "
                    + "which only a plan of rank " + Math.min(in, out) + " and alpha " + Math.min(in, out) + " holds, not "
                    + (plan == null ? "a full-decoder fine-tune" : "rank " + plan.loraRank() + " and alpha " + plan.loraAlpha())
                    + "; write the update as its pair " + name.substring(0, name.length() - ExpertFormat.LORA_UPDATE.length())
                    + A + "/" + B + ", or give the expert that plan");
        }
    }

    /** The projection an update carried whole adapts, or null when {@code name} is not one. */
    private static String projection(String name) {
        return name.endsWith(ExpertFormat.LORA_UPDATE) ? name.substring(0, name.length() - ExpertFormat.LORA_UPDATE.length())
                : null;
    }
}
