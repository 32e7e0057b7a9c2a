package org.expertlm.tasks.catalog;

import java.util.List;

/**
 * A prompt template: how a record becomes a prompted example.
 *
 * @param name the template's name, unique in its dataset
 * @param input the prompt, with {@code {field}} placeholders (see {@link Renderer})
 * @param target the answer, with placeholders
 * @param choices fixed answer choices; empty with {@code choicesFrom}, or for generation
 * @param choicesFrom a list field whose items are the choices, or {@code letters:<field>} for A, B, C… as many as its items
 */
public record TemplateDefinition(String name, String input, String target, List<String> choices, String choicesFrom) {

    /** True when the template is answered by ranking choices. */
    public boolean isClassification() {
        return !choices.isEmpty() || choicesFrom != null;
    }
}
