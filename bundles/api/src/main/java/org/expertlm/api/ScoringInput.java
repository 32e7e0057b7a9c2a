package org.expertlm.api;

import java.util.List;
import java.util.Objects;

/**
 * An input to rank-classify and its answer choices.
 *
 * @param input the prompted input
 * @param choices two or more answer choices
 */
public record ScoringInput(String input, List<String> choices) {

    public ScoringInput {
        Objects.requireNonNull(input, "input");
        choices = List.copyOf(choices);
        if (choices.size() < 2) {
            throw new IllegalArgumentException("an input to score needs at least two answer choices, got " + choices);
        }
    }
}
