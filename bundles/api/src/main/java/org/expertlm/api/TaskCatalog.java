package org.expertlm.api;

import java.util.List;
import java.util.SortedSet;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The catalog of prompted tasks: datasets, their clusters and templates, and the rendered examples
 * of each {@code dataset/template} per split. Splits are fixed: the same example always lands in the
 * same split.
 *
 * <pre>{@code
 * for (TaskExample e : catalog.examples("pang-lee-sentences/yes-no", Split.TRAIN, 5)) {
 *     System.out.println(e.input() + " -> " + e.target() + " " + e.choices());
 * }
 * }</pre>
 */
@ProviderType
public interface TaskCatalog {

    /** Every dataset, training clusters first. */
    List<TaskInfo> tasks();

    /**
     * The first {@code limit} examples of a template in a split, in a fixed order.
     *
     * @throws IllegalArgumentException when no template has that id (the message lists the known ones)
     * @throws IllegalStateException when the dataset's data has not been fetched (the message says how)
     */
    List<TaskExample> examples(String templateId, Split split, int limit);

    /**
     * The examples an expert learns from: one template (a Prompt Expert), every classification template
     * of a dataset (a Dataset Expert), or every classification template of the training clusters
     * ({@code multitask}, the MT baseline).
     *
     * @param what a template id, a dataset id, or {@code multitask}
     * @throws IllegalArgumentException when it names none of those, a held-out dataset, or a template no
     *     expert can learn (the message says why and lists what exists)
     * @throws IllegalStateException when the data has not been fetched (the message says how)
     */
    TrainingSet trainingSet(String what);

    /**
     * The examples a new task's Prompt Expert learns from, where the template may belong to a held-out cluster:
     * a task learned after the library was made (continual learning, the evaluation's experiment 3).
     * {@link #trainingSet} refuses held-out templates, so that nothing of a library or of the MT baseline learns
     * them by accident; this is the one way to ask for them on purpose.
     *
     * @throws IllegalArgumentException when it names no template, or one no expert can learn
     * @throws IllegalStateException when the data has not been fetched (the message says how)
     */
    TrainingSet newTaskTrainingSet(String templateId);

    /** Every fixed answer choice of every template: the words a base model's output vocabulary must hold. */
    SortedSet<String> answerWords();

    /**
     * The plain English documents on which the base model is LM-adapted, in a fixed order: none of
     * them holds data of a held-out task.
     *
     * @throws IllegalStateException when a source has not been fetched (the message says how)
     */
    List<String> lmCorpus();
}
