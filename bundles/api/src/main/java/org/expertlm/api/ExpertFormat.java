package org.expertlm.api;

import java.io.IOException;
import java.io.InputStream;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The file format of an expert's description, {@value #DESCRIPTION} (format {@code elm-expert/1}), read and
 * written in one place, the engine's, for everything that stores or ships experts: the model store, the
 * packager, the registry. The tensors beside it are {@value #TENSORS} ({@link AdapterTensors}).
 */
@ProviderType
public interface ExpertFormat {

    /** The description's file (an entry of an expert bundle, a file of an expert folder). */
    String DESCRIPTION = "expert.json";
    /** The adapter tensors' file. */
    String TENSORS = "adapter.safetensors";
    /**
     * The suffix of a LoRA update carried whole: {@code <projection>.delta} [in, out] is the update ΔW itself, in place
     * of the pair {@code <projection>.lora_a}·{@code <projection>.lora_b} of a plan of full rank (min(in, out)) and
     * scale 1 (alpha = rank), in half the floats that pair would take. A composite's merged updates are carried so.
     */
    String LORA_UPDATE = ".delta";

    /** The description as {@value #DESCRIPTION} holds it, UTF-8 JSON: the same description gives the same bytes. */
    byte[] write(ExpertDescriptor expert);

    /**
     * The description {@code in} holds.
     *
     * @param source names the stream in messages (a file, a jar entry)
     * @throws ModelFormatException when it is not JSON, names another format, or lacks a field (named)
     */
    ExpertDescriptor read(InputStream in, String source) throws IOException;

    /**
     * Checks that {@code tensors} are exactly those the expert's adapter plan makes over its base model
     * (names and shapes), so that a bundle is refused when it is installed rather than when it is asked.
     *
     * @param source names the tensors in messages
     * @throws ModelFormatException naming the first tensor that is missing, unexpected or of another shape
     */
    void checkTensors(ExpertDescriptor expert, AdapterTensors tensors, String source) throws ModelFormatException;

    /**
     * The tensors an expert of this adapter plan starts from before training (seeded by the plan's seed), over its base
     * model: what training moved away from, so that the difference is what the expert learned (a merge's task vector).
     *
     * @throws IllegalArgumentException for a full-decoder fine-tune, or when its base model is not installed
     */
    AdapterTensors initialTensors(ExpertDescriptor expert);
}
