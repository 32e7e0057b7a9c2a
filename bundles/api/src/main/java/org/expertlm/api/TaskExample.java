package org.expertlm.api;

import java.util.List;
import java.util.Objects;

/**
 * One prompted example of a task: the rendered input, the target, and for classification the answer
 * choices (the target is one of them). Generation tasks have no choices.
 *
 * @param task the template's id, {@code dataset/template}
 * @param id the example's stable id within its dataset
 * @param split the split it belongs to
 * @param input the prompted input
 * @param target the expected answer
 * @param choices the answer choices, empty for generation
 */
public record TaskExample(String task, String id, Split split, String input, String target, List<String> choices) {

    public TaskExample {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(target, "target");
        choices = List.copyOf(choices);
    }

    /** True when the example is scored by ranking its choices. */
    public boolean isClassification() {
        return !choices.isEmpty();
    }
}
