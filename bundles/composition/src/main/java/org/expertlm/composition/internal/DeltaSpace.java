package org.expertlm.composition.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.ExpertFormat;

/**
 * An expert's tensors as task vectors, and merged vectors back as tensors the engine opens. A LoRA pair becomes its
 * update ΔW = (alpha / rank)·A·B, named {@code <projection>.delta} (B starts at zero, so ΔW is what training added):
 * merging factor by factor would average A and B apart, and the product of averages is not the average of the updates.
 * Every other tensor (a bottleneck adapter's) becomes its distance from where training started, θ − θ₀, the plan's
 * seeded initial value; merged, θ₀ is added back.
 *
 * <p>Back as tensors, each merged ΔW [in, out] is carried whole, {@code <projection>.delta}
 * ({@link ExpertFormat#LORA_UPDATE}), under a plan of full rank r = min(in, out) and alpha = r (scale 1): in·out floats
 * where a member's pair took r·(in + out). The engine loads it as that pair (A = ΔW, B = the identity) and folds A·B = ΔW
 * into the projection's weight when it loads the model, so that scoring costs what the members' scoring costs.
 *
 * <p>A linear method (the averages, task arithmetic: Σ cᵢ·vᵢ) needs no update materialised: its merge of k pairs of
 * rank r is the pair of stacked factors, rank k·r ({@link #stacked}), exact in delta space and as small as the members
 * together; it is taken while k·r &lt; min(in, out), and the engine folds it into W the same way.
 */
final class DeltaSpace {

    static final String LORA_A = ".lora_a";
    static final String LORA_B = ".lora_b";
    static final String DELTA = ExpertFormat.LORA_UPDATE;

    /** Task vectors by name, with their shapes. */
    record Vectors(Map<String, float[]> values, Map<String, long[]> shapes) {
    }

    private DeltaSpace() {
    }

    /** The expert's task vectors: LoRA pairs as their updates, every other tensor less its initial value. */
    static Vectors of(AdapterConfig plan, AdapterTensors tensors, AdapterTensors initial) {
        Map<String, float[]> values = new TreeMap<>();
        Map<String, long[]> shapes = shapes(tensors);
        for (String name : shapes.keySet()) {
            values.put(name, vector(plan, tensors, initial, name));
        }
        return new Vectors(values, shapes);
    }

    /**
     * One of the expert's task vectors, by its name in {@link #shapes}: a LoRA pair's update ΔW, or another tensor less
     * its initial value.
     */
    static float[] vector(AdapterConfig plan, AdapterTensors tensors, AdapterTensors initial, String name) {
        if (name.endsWith(DELTA)) {
            String projection = name.substring(0, name.length() - DELTA.length());
            long[] a = tensors.shape(projection + LORA_A);
            long[] b = tensors.shape(projection + LORA_B);
            return product(tensors.values(projection + LORA_A), tensors.values(projection + LORA_B), (int) a[0], (int) a[1],
                    (int) b[1], plan.loraAlpha() / plan.loraRank());
        }
        float[] v = tensors.values(name);
        float[] start = initial.values(name);
        for (int j = 0; j < v.length; j++) {
            v[j] -= start[j];
        }
        return v;
    }

    /** The shapes of the expert's task vectors (a LoRA pair's: its update's, [in, out]), none computed. */
    static Map<String, long[]> shapes(AdapterTensors tensors) {
        Map<String, long[]> shapes = new TreeMap<>();
        for (String name : tensors.names()) {
            if (name.endsWith(LORA_A)) {
                String projection = name.substring(0, name.length() - LORA_A.length());
                shapes.put(projection + DELTA, new long[] {tensors.shape(name)[0], tensors.shape(projection + LORA_B)[1]});
            } else if (!name.endsWith(LORA_B)) {
                shapes.put(name, tensors.shape(name));
            }
        }
        return shapes;
    }

    /**
     * True when the members' LoRA pairs stacked side by side, Σ rᵢ wide, stay narrower than every update they stand for
     * (min(in, out)): then a linear merge carries them exactly and smaller than as full-rank updates.
     */
    static boolean stackable(List<AdapterTensors> members) {
        for (String name : members.get(0).names()) {
            if (name.endsWith(LORA_A)) {
                long rank = members.stream().mapToLong(m -> m.shape(name)[1]).sum();
                long[] update = shapes(members.get(0)).get(name.substring(0, name.length() - LORA_A.length()) + DELTA);
                if (rank >= Math.min(update[0], update[1])) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The linear merge Σ cᵢ·ΔWᵢ of the members' LoRA pairs as one pair of rank Σ rᵢ and scale 1, put into {@code out}:
     * A' = [c₁·s₁·A₁ | c₂·s₂·A₂ | …] [in, Σ rᵢ] and B' = [B₁; B₂; …] [Σ rᵢ, out], so that A'·B' = Σ cᵢ·sᵢ·Aᵢ·Bᵢ with
     * sᵢ = alpha / rank of each member's plan. Exact in delta space (the updates are summed, not their factors), and
     * no update is materialised.
     *
     * @return the pair's rank, 0 without LoRA pairs
     */
    static int stacked(List<AdapterTensors> members, List<AdapterConfig> plans, double[] coefficients,
            AdapterTensors.Builder out) {
        int total = 0;
        AdapterTensors first = members.get(0);
        for (String name : first.names()) {
            if (!name.endsWith(LORA_A)) {
                continue;
            }
            String projection = name.substring(0, name.length() - LORA_A.length());
            int in = (int) first.shape(name)[0];
            int width = (int) first.shape(projection + LORA_B)[1];
            int rank = 0;
            for (AdapterTensors m : members) {
                rank += (int) m.shape(name)[1];
            }
            float[] a = new float[in * rank];
            float[] b = new float[rank * width];
            int column = 0;
            for (int i = 0; i < members.size(); i++) {
                float[] ai = members.get(i).values(name);
                int r = (int) members.get(i).shape(name)[1];
                float c = (float) (coefficients[i] * plans.get(i).loraAlpha() / plans.get(i).loraRank());
                for (int row = 0; row < in; row++) {
                    for (int q = 0; q < r; q++) {
                        a[row * rank + column + q] = c * ai[row * r + q];
                    }
                }
                System.arraycopy(members.get(i).values(projection + LORA_B), 0, b, column * width, r * width);
                column += r;
            }
            out.put(name, new long[] {in, rank}, a).put(projection + LORA_B, new long[] {rank, width}, b);
            total = rank;
        }
        return total;
    }

    /** The rank a composite's LoRA pairs take: min(in, out) of every update, which must agree; 0 without updates. */
    static int compositeRank(Map<String, long[]> shapes) {
        int rank = 0;
        String first = null;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            if (e.getKey().endsWith(DELTA)) {
                int r = (int) Math.min(e.getValue()[0], e.getValue()[1]);
                if (first != null && r != rank) {
                    throw new IllegalArgumentException("LoRA updates of " + first + " and " + e.getKey() + " have widths "
                            + rank + " and " + r + "; a composite carries its updates at one rank");
                }
                first = e.getKey();
                rank = r;
            }
        }
        return rank;
    }

    /**
     * Merged vectors as the tensors of a composite, put into {@code out}: each update carried whole (see the class),
     * every other tensor its initial value plus its merged vector.
     */
    static void tensors(Vectors merged, AdapterTensors initial, AdapterTensors.Builder out) {
        for (Map.Entry<String, float[]> e : merged.values().entrySet()) {
            long[] shape = merged.shapes().get(e.getKey());
            if (e.getKey().endsWith(DELTA)) {
                out.put(e.getKey(), shape, e.getValue());
                continue;
            }
            float[] v = e.getValue().clone(); // a method may hand back a vector it was given
            float[] start = initial.values(e.getKey());
            for (int j = 0; j < v.length; j++) {
                v[j] += start[j];
            }
            out.put(e.getKey(), shape, v);
        }
    }

    /**
     * scale · A·B for A [in, r] and B [r, out], row-major, in float: each row of the result is summed in a buffer from
     * B's rows, four at a time, then copied into place. B's rows are separate arrays and the buffer is indexed as they
     * are, so that the compiler can vectorise the loop: writing into the result at an offset other than B's, it could
     * not tell whether the two arrays overlap, and did not (two and a half times slower).
     */
    static float[] product(float[] a, float[] b, int in, int rank, int out, double scale) {
        float[][] rows = new float[rank][];
        for (int k = 0; k < rank; k++) {
            rows[k] = Arrays.copyOfRange(b, k * out, (k + 1) * out);
        }
        float[] c = new float[in * out];
        float[] row = new float[out];
        float s = (float) scale;
        for (int i = 0; i < in; i++) {
            Arrays.fill(row, 0);
            int k = 0;
            for (; k + 4 <= rank; k += 4) {
                float a0 = a[i * rank + k] * s;
                float a1 = a[i * rank + k + 1] * s;
                float a2 = a[i * rank + k + 2] * s;
                float a3 = a[i * rank + k + 3] * s;
                float[] b0 = rows[k];
                float[] b1 = rows[k + 1];
                float[] b2 = rows[k + 2];
                float[] b3 = rows[k + 3];
                for (int j = 0; j < out; j++) {
                    row[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
                }
            }
            for (; k < rank; k++) {
                float aik = a[i * rank + k] * s;
                float[] bk = rows[k];
                for (int j = 0; j < out; j++) {
                    row[j] += aik * bk[j];
                }
            }
            System.arraycopy(row, 0, c, i * out, out);
        }
        return c;
    }

    /** Shapes printed for messages. */
    static String shape(long[] s) {
        return Arrays.toString(s);
    }
}
