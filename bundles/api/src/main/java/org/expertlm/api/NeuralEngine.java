package org.expertlm.api;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/** The neural engine itself: what it runs on and which models it has loaded. */
@ProviderType
public interface NeuralEngine {

    EngineStatus status();

    /**
     * Trains the base model's decoder over the frozen encoder ("LM adaptation") as the JSON training
     * configuration {@code settings} describes, on {@code corpus}, and writes it to {@code output};
     * resumes from a checkpoint of the same run there. {@code answerWords} are put into the output
     * vocabulary whatever their frequency. Progress lines go to {@code progress}.
     *
     * @throws IllegalArgumentException when the configuration is invalid (the message names the field)
     * @throws IllegalStateException when training fails (the message says why and what to change)
     */
    BaseModelInfo trainBase(Path settings, Path output, List<String> corpus, Collection<String> answerWords,
            Consumer<String> progress);

    /**
     * Trains an expert (adapters over the base model in {@code base}, or a full-decoder fine-tune, as
     * the JSON training configuration {@code settings} says) on classification examples, and writes it
     * to {@code output}.
     *
     * @param id the expert's id
     * @param task what it learns: a template id, a dataset id, or {@code multitask}
     * @throws IllegalArgumentException when the configuration or the examples are unusable (the message says why)
     */
    ExpertInfo trainExpert(Path settings, Path base, Path output, String id, String task, List<TaskExample> train,
            List<TaskExample> validation, Consumer<String> progress);

    /**
     * Rank classification: each choice's summed token log-probability given the input, under the model
     * in {@code model} (a base-model folder, or an expert folder over the base model in {@code base}).
     */
    double[] score(Path model, Path base, String input, List<String> choices, boolean lengthNormalised);

    /** The rank-classification accuracy of the model in {@code model} on classification examples. */
    double accuracy(Path model, Path base, List<TaskExample> examples);

    /** The text the model in {@code model} generates for the input (greedy for beam 1, else beam search). */
    String generate(Path model, Path base, String input, int beam, int maxTokens);

    /**
     * The validation accuracy of a logistic-regression probe trained on the frozen encoder's sentence
     * vectors of the training inputs, the classes being their targets: the floor an expert must reach.
     */
    double probeAccuracy(List<TaskExample> train, List<TaskExample> validation);
}
