package org.expertlm.console.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code elm:score} returns: each choice with its score, and the best one.
 *
 * @param input the scored input
 * @param choices each choice and its summed token log-probability
 * @param best the choice rank classification picks
 */
record ScoreReport(String input, List<Choice> choices, String best) {

    record Choice(String text, double score) {
    }

    static ScoreReport of(String input, List<String> choices, double[] scores) {
        List<Choice> out = new ArrayList<>();
        int best = 0;
        for (int i = 0; i < scores.length; i++) {
            out.add(new Choice(choices.get(i), scores[i]));
            best = scores[i] > scores[best] ? i : best;
        }
        return new ScoreReport(input, out, choices.get(best));
    }
}
