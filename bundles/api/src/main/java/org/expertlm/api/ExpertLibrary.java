package org.expertlm.api;

import java.util.List;
import java.util.Objects;

/**
 * An expert's library: the training instances it ships (at most {@link ExpertPackager#LIBRARY_SIZE}) and
 * their sentence vectors, by which a retriever finds the expert for a new task.
 *
 * @param instances the instances, in the bundle's order
 * @param vectors one unit-length vector per instance, of its text in the paper's {@code label_instance} format
 *     ({@code Answer Choices: a, b, Instance: <input>}; {@code Instance: <input>} without choices; never the target)
 * @param encoder the id of the encoder whose vectors these are (always the installed one)
 * @param shippedEncoder the id of the encoder the bundle's vectors were made by
 */
public record ExpertLibrary(List<TaskExample> instances, List<float[]> vectors, String encoder, String shippedEncoder) {

    public ExpertLibrary {
        instances = List.copyOf(instances);
        vectors = List.copyOf(vectors);
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(shippedEncoder, "shippedEncoder");
        if (instances.size() != vectors.size()) {
            throw new IllegalArgumentException(instances.size() + " library instances but " + vectors.size() + " vectors");
        }
    }

    /** True when the shipped vectors came from another encoder and were computed again with the installed one. */
    public boolean recomputed() {
        return !encoder.equals(shippedEncoder);
    }

    /**
     * An instance's text in the paper's {@code label_instance} format, the one library vectors embed and queries are
     * embedded in: {@code Answer Choices: a, b, Instance: <input>}, or {@code Instance: <input>} without choices.
     */
    public static String labelInstanceText(String input, List<String> choices) {
        return Retriever.Format.LABEL_INSTANCE.text(input, choices);
    }
}
