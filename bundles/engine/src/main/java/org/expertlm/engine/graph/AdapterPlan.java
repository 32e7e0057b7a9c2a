package org.expertlm.engine.graph;

import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import org.expertlm.api.AdapterConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which adapters an expert adds to the decoder, and where: Houlsby bottleneck adapters after the
 * sublayers named in {@code houlsby} ({@code self}, {@code cross}, {@code ffn}; bottleneck = dim /
 * {@code reduction}), and LoRA of rank {@code loraRank} on the attention projections (query, key,
 * value, output) of the attention blocks named in {@code lora} ({@code self}, {@code cross}).
 * Adapter tensors are named after what they adapt, e.g. {@code decoder.layer.0.cross.adapter.down.weight}
 * or {@code decoder.layer.1.self.query.lora_a}.
 *
 * @param houlsby the sublayers with a Houlsby adapter after them
 * @param reduction the Houlsby reduction factor (the paper uses 32)
 * @param lora the attention blocks whose projections get LoRA
 * @param loraRank LoRA's rank
 * @param loraAlpha LoRA's scale numerator (the update is alpha / rank · x·A·B)
 * @param encoderLayers how many of the encoder's top layers get LoRA (on their query and value
 *     projections, same rank and alpha); their input states are computed once per example below them
 * @param seed of the adapters' initial weights
 */
public record AdapterPlan(Set<String> houlsby, int reduction, Set<String> lora, int loraRank, double loraAlpha, int encoderLayers,
        long seed) {

    private static final Set<String> SUBLAYERS = Set.of("self", "cross", "ffn");
    private static final Set<String> ATTENTION = Set.of("self", "cross");

    public AdapterPlan {
        houlsby = Collections.unmodifiableSortedSet(new TreeSet<>(houlsby));
        lora = Collections.unmodifiableSortedSet(new TreeSet<>(lora));
        if (!SUBLAYERS.containsAll(houlsby) || !ATTENTION.containsAll(lora)) {
            throw new IllegalArgumentException("adapter places " + houlsby + " / LoRA " + lora
                    + ": expected Houlsby after self, cross or ffn, and LoRA on self or cross");
        }
        if (encoderLayers < 0 || encoderLayers > 6) {
            throw new IllegalArgumentException("encoderLayers " + encoderLayers + ": the encoder has 6 layers (0 for none)");
        }
        if (houlsby.isEmpty() && lora.isEmpty() && encoderLayers == 0) {
            throw new IllegalArgumentException("an adapter plan with no adapter; name at least one place");
        }
        if (!houlsby.isEmpty() && reduction < 1 || (!lora.isEmpty() || encoderLayers > 0) && loraRank < 1) {
            throw new IllegalArgumentException("reduction " + reduction + " and LoRA rank " + loraRank + " must be at least 1");
        }
    }

    /** The plan of an expert's adapter configuration, checked. */
    public static AdapterPlan of(AdapterConfig c) {
        return new AdapterPlan(c.houlsby(), c.reduction(), c.lora(), c.loraRank(), c.loraAlpha(), c.encoderLayers(), c.seed());
    }

    /** The plan as an expert's descriptor holds it. */
    public AdapterConfig config() {
        return new AdapterConfig(houlsby, reduction, lora, loraRank, loraAlpha, encoderLayers, seed);
    }

    /** The sublayer's output rows [N, dim] with a Houlsby adapter after them, if the plan puts one there. */
    SDVariable afterSublayer(SameDiff sd, SDVariable rows, String prefix, int dim, DataType type) {
        if (!houlsby.contains(kind(prefix))) {
            return rows;
        }
        return Adapters.houlsby(sd, rows, prefix + ".adapter", dim, Math.max(1, dim / reduction), seed, type);
    }

    /** x·W (+ the LoRA update when the plan puts LoRA on this attention projection); the bias is the caller's. */
    SDVariable project(SameDiff sd, SDVariable rows, SDVariable weight, String name, int in, int out, DataType type) {
        String block = name.substring(0, name.lastIndexOf('.'));
        if (!lora.contains(kind(block))) {
            return sd.mmul(rows, weight);
        }
        return Adapters.lora(sd, rows, weight, name, in, out, loraRank, loraAlpha, seed, type);
    }

    private static String kind(String prefix) {
        return prefix.substring(prefix.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    }
}
