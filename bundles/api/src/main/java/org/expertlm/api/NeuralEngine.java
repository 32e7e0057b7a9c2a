package org.expertlm.api;

import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The neural engine: opens models to score and generate with, and measures the probe an expert must
 * beat. Models are opened from a base-model reference, plus an expert's descriptor and tensors for an
 * expert; loaded models are cached by content digest and the least recently used ones are evicted
 * under a memory budget (Config Admin PID {@code org.expertlm.engine}, {@code models.max.bytes}).
 *
 * <pre>{@code
 * try (ModelHandle m = engine.open(store.expert("spam.yes-no"), store.tensors(store.expert("spam.yes-no")))) {
 *     double[] s = m.score(List.of(new ScoringInput("win a prize now", List.of("yes", "no"))), false).get(0);
 * }
 * }</pre>
 */
@ProviderType
public interface NeuralEngine {

    EngineStatus status();

    /**
     * Opens a base model.
     *
     * @throws IllegalArgumentException when no such base model is installed (the message lists those there are)
     * @throws IllegalStateException when its files are not what they should be (the message says what to do)
     */
    ModelHandle open(BaseModelRef base);

    /**
     * Opens an expert over the base model it names.
     *
     * @throws IllegalArgumentException when its base model is not installed, or its tensors are not the
     *     ones its adapter configuration makes (names and shapes; the message names the first wrong one)
     */
    ModelHandle open(ExpertDescriptor expert, AdapterTensors tensors);

    /**
     * The validation accuracy of a logistic-regression probe fitted on the frozen encoder's sentence
     * vectors of the training inputs, the classes being their targets. Progress lines go to {@code progress}.
     */
    ProbeReport probe(String task, List<TaskExample> train, List<TaskExample> validation, Consumer<String> progress);

    /**
     * How much of the examples' targets the base model's output vocabulary can express (for generation
     * templates: an expert cannot learn to write pieces its vocabulary lacks).
     */
    VocabularyCoverage coverage(BaseModelRef base, List<TaskExample> examples);
}
