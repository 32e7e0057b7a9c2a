package org.expertlm.api;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Solves a task nobody trained for: retrieves experts with its unlabeled instances, then answers every instance
 * with them (rank classification over its choices, or generation without choices). Gold answers, where given, are
 * only compared with the predictions: retrieval never sees them.
 *
 * <pre>{@code
 * Solution s = solver.solve(instances, gold, retriever.settings(), System.out::println);
 * System.out.println(s.accuracy() + " with " + s.retrieval().experts().get(0).name());
 * }</pre>
 */
@ProviderType
public interface Solver {

    /**
     * The answer to one instance.
     *
     * @param index the instance's position in the input
     * @param answer the chosen choice, or the generated text
     * @param probabilities per choice, in the instance's order, the probability the answering expert(s) gave it
     *     (averaged over a mixture, weighted by votes); empty for generation
     * @param experts the {@code id@version} of each expert that answered, the first the most voted
     * @param gold the gold answer, or null when the input has none
     * @param score against the gold answer: 1 or 0 for classification (exact choice), ROUGE-L for generation; NaN
     *     without gold
     */
    record Prediction(int index, String answer, List<Double> probabilities, List<String> experts, String gold, double score) {

        public Prediction {
            Objects.requireNonNull(answer, "answer");
            probabilities = List.copyOf(probabilities);
            experts = List.copyOf(experts);
        }
    }

    /**
     * The answers to a task's instances.
     *
     * @param retrieval the retrieval that chose the experts; null when one named expert answered
     * @param settings how it was retrieved and answered; null when one named expert answered
     * @param predictions one per instance, in order
     * @param labelled how many instances carried a gold answer
     * @param accuracy the mean score over those (accuracy for classification, ROUGE-L for generation; a task that mixes
     *     the two averages both kinds of score); NaN when none did
     */
    record Solution(Retriever.Retrieval retrieval, Retriever.Settings settings, List<Prediction> predictions, int labelled,
            double accuracy) {

        public Solution {
            predictions = List.copyOf(predictions);
        }
    }

    /**
     * Retrieves experts with {@code instances} as {@code settings} say and answers each instance with them.
     *
     * @param gold per instance its gold answer or null; an empty list when none has one
     * @param progress lines on how far it got
     * @throws IllegalArgumentException when there are no instances, or {@code gold} is neither empty nor one per instance
     * @throws IllegalStateException when the library is empty
     */
    Solution solve(List<Retriever.Instance> instances, List<String> gold, Retriever.Settings settings, Consumer<String> progress);

    /**
     * Answers every instance with one named expert ({@code id} for its active version, or {@code id@version}): a
     * baseline, such as the multitask model, on the same instances.
     *
     * @throws IllegalArgumentException when no such expert is installed
     */
    Solution answer(String expert, List<Retriever.Instance> instances, List<String> gold, Consumer<String> progress);
}
