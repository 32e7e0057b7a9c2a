package org.expertlm.api;

import java.util.List;
import java.util.Objects;

/**
 * The examples an expert learns from, as the task catalog chooses them.
 *
 * @param expertId the id of the expert they make (from what it learns)
 * @param kind a Prompt Expert (one template), a Dataset Expert or the multitask baseline
 * @param task what was asked for: a template id, a dataset id, or {@code multitask}
 * @param templates the templates the examples come from
 * @param train training examples, templates interleaved (a cap on their number takes from every template)
 * @param validation validation examples, for choosing the best epoch
 */
public record TrainingSet(String expertId, ExpertKind kind, String task, List<String> templates, List<TaskExample> train,
        List<TaskExample> validation) {

    public TrainingSet {
        Objects.requireNonNull(expertId, "expertId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(task, "task");
        templates = List.copyOf(templates);
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }
}
