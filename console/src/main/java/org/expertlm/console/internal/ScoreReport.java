package org.expertlm.console.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code elm:score} returns: each choice with its score, and the best one.
 *
 * @param model the model that scored them (a base model's id, or an expert's id@version)
 * @param input the scored input
 * @param choices each choice and its summed token log-probability
 * @param best the choice rank classification picks
 */
record ScoreReport(String model, String input, List<Choice> choices, String best) {

    record Choice(String text, double score) {
    }

    static ScoreReport of(String model, String input, List<String> choices, double[] scores) {
        List<Choice> out = new ArrayList<>();
        int best = 0;
        for (int i = 0; i < scores.length; i++) {
            out.add(new Choice(choices.get(i), scores[i]));
            best = scores[i] > scores[best] ? i : best;
        }
        return new ScoreReport(model, input, out, choices.get(best));
    }
}
