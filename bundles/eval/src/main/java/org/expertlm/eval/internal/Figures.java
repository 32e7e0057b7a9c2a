package org.expertlm.eval.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.expertlm.api.OutputMixture;

/**
 * The evaluation's arithmetic over score tables: accuracy of an answer per instance, the oracle (the best single
 * expert, chosen with the labels), how many single experts beat a baseline, the share of the oracle's gain an arm
 * captures, and the output mixture recomputed from stored scores.
 */
final class Figures {

    private Figures() {
    }

    /** The share of {@code predicted} equal to {@code gold}. */
    static double accuracy(int[] predicted, int[] gold) {
        if (predicted.length != gold.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + gold.length + " gold answers");
        }
        int right = 0;
        for (int i = 0; i < gold.length; i++) {
            right += predicted[i] == gold[i] ? 1 : 0;
        }
        return gold.length == 0 ? Double.NaN : right / (double) gold.length;
    }

    /** A model with its score. */
    record Scored(String model, double score) {
    }

    /** The best of {@code accuracies} (the oracle); of equal ones the first by name, so that a re-run picks the same. */
    static Scored oracle(Map<String, Double> accuracies) {
        return accuracies.entrySet().stream()
                .max(Comparator.<Map.Entry<String, Double>>comparingDouble(Map.Entry::getValue)
                        .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
                .map(e -> new Scored(e.getKey(), e.getValue()))
                .orElseThrow(() -> new IllegalArgumentException("no experts to choose an oracle from"));
    }

    /** How many of {@code accuracies} are above {@code baseline} (the paper's Figure 1 count). */
    static long above(Map<String, Double> accuracies, double baseline) {
        return accuracies.values().stream().filter(a -> a > baseline).count();
    }

    /**
     * (arm − baseline) / (oracle − baseline): the share of the gain the best single expert would give over the baseline
     * that the arm captures (the paper's RoE: about 17%). NaN when the oracle does not beat the baseline: then there is
     * no gain to share.
     */
    static double shareOfGain(double arm, double baseline, double oracle) {
        return oracle > baseline ? (arm - baseline) / (oracle - baseline) : Double.NaN;
    }

    /**
     * The output mixture's answer on each instance: each table's scores as probabilities (softmax), averaged with
     * {@code weights} (the experts' votes), the most probable choice.
     */
    static int[] mixture(List<ScoreTable> tables, double[] weights) {
        Objects.checkIndex(0, tables.size());
        int n = tables.get(0).size();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double[][] scores = new double[tables.size()][];
            for (int t = 0; t < tables.size(); t++) {
                scores[t] = tables.get(t).scores().get(i);
            }
            out[i] = OutputMixture.best(OutputMixture.combine(scores, weights));
        }
        return out;
    }

    /** The mean of {@code values}, NaN ones left out (NaN when none is left). */
    static double mean(List<Double> values) {
        return values.stream().filter(v -> !v.isNaN()).mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** The accuracy of answering at random: the mean over instances of one over their number of choices. */
    static double chance(List<Integer> choiceCounts) {
        if (choiceCounts.isEmpty()) {
            throw new IllegalArgumentException("no instances: chance is the mean over at least one instance");
        }
        return choiceCounts.stream().mapToDouble(c -> 1.0 / c).average().orElseThrow();
    }

    /** The largest of {@code values} (NaN when empty). */
    static double best(java.util.Collection<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
