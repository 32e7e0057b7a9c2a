package org.expertlm.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Turns text into unit-length sentence vectors (all-MiniLM-L6-v2: mean pooling over its tokens,
 * L2-normalised), the embedding the expert library and retrieval stand on.
 *
 * <pre>{@code
 * float[] v = encoder.embed(List.of("hello world")).get(0);   // 384 values, |v| = 1
 * }</pre>
 */
@ProviderType
public interface SentenceEncoder {

    /** The model's id with the digest of its weights, e.g. {@code all-MiniLM-L6-v2@sha256:1a2b…}. */
    String modelId();

    /** The length of every vector. */
    int dimension();

    /** One vector per text, in order; texts longer than the model's window are truncated. */
    List<float[]> embed(List<String> texts);
}
