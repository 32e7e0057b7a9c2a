package org.expertlm.api;

import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where an expert's adapters sit on the base model and their sizes: Houlsby bottleneck adapters after
 * the decoder's sublayers in {@code houlsby} ({@code self}, {@code cross}, {@code ffn}; bottleneck =
 * width / {@code reduction}), LoRA of rank {@code loraRank} on the attention projections of the
 * decoder blocks in {@code lora} ({@code self}, {@code cross}), and LoRA on the query and value
 * projections of the encoder's top {@code encoderLayers} layers. Places are kept sorted, so that two
 * equal configurations also print alike.
 *
 * @param houlsby the decoder sublayers with a Houlsby adapter after them
 * @param reduction the Houlsby reduction factor
 * @param lora the decoder attention blocks whose projections get LoRA
 * @param loraRank LoRA's rank
 * @param loraAlpha LoRA's scale numerator (the update is alpha / rank · x·A·B)
 * @param encoderLayers the encoder's top layers with LoRA (0 for none)
 * @param seed of the adapters' initial weights
 */
public record AdapterConfig(Set<String> houlsby, int reduction, Set<String> lora, int loraRank, double loraAlpha,
        int encoderLayers, long seed) {

    public AdapterConfig {
        houlsby = Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(houlsby, "houlsby")));
        lora = Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(lora, "lora")));
    }
}
