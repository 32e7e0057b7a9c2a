package org.expertlm.api;

import java.util.List;

/**
 * How an expert answers: by ranking answer choices (rank classification), or by generating text.
 *
 * @param generation true when the expert generates its answers
 * @param choices the fixed answer choices it was trained with; empty for generation, or when the
 *     choices vary per example (lettered options, say)
 */
public record AnswerFormat(boolean generation, List<String> choices) {

    public AnswerFormat {
        choices = List.copyOf(choices);
        if (generation && !choices.isEmpty()) {
            throw new IllegalArgumentException("a generating expert has no answer choices, but " + choices + " were given");
        }
    }

    /** Ranking answer choices, fixed or given with each input. */
    public static AnswerFormat choices(List<String> fixed) {
        return new AnswerFormat(false, fixed);
    }

    /** Generating text. */
    public static AnswerFormat generated() {
        return new AnswerFormat(true, List.of());
    }
}
