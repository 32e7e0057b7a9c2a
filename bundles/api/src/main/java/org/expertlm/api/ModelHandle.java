package org.expertlm.api;

import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A model opened by the engine (a base model, or an expert over its base), ready to score and to
 * generate. Handles are leases on the engine's cache of loaded models: close each one when done
 * (try-with-resources); a model whose handles are all closed may be evicted when the cache needs room,
 * and one evicted while a handle is open stays usable until that handle is closed.
 *
 * <pre>{@code
 * try (ModelHandle model = engine.open(expert, tensors)) {
 *     List<double[]> scores = model.score(List.of(new ScoringInput("the film was great", List.of("positive", "negative"))), false);
 * }
 * }</pre>
 */
@ProviderType
public interface ModelHandle extends AutoCloseable {

    /** The model's name: a base model's id, or an expert's {@code id@version}; every answer carries it. */
    String modelName();

    /** The digest that identifies the loaded model (base model, adapter configuration and tensors). */
    String digest();

    /**
     * Rank classification of many inputs in one call: for each input, each choice's summed token
     * log-probability given the input (divided by its length in tokens when {@code lengthNormalised}).
     *
     * @throws IllegalStateException when the handle is closed
     */
    List<double[]> score(List<ScoringInput> inputs, boolean lengthNormalised);

    /**
     * The rank-classification accuracy on classification examples, timed (encoding the inputs included).
     *
     * @throws IllegalArgumentException when there are no examples, or one has no choices
     */
    default Evaluation evaluate(List<TaskExample> examples) {
        return evaluate(examples, line -> { });
    }

    /**
     * As {@link #evaluate(List)}, with progress lines (how many are scored, the rate, the time left) to {@code progress}.
     */
    Evaluation evaluate(List<TaskExample> examples, Consumer<String> progress);

    /** The text the model generates for the input: greedy when {@code beam} is 1, else beam search. */
    String generate(String input, int beam, int maxTokens);

    /** Releases this lease; the model stays cached for the next one until the cache needs room. Idempotent. */
    @Override
    void close();
}
