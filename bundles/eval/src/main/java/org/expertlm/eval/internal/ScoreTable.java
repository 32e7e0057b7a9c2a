package org.expertlm.eval.internal;

import java.util.List;

import org.expertlm.api.OutputMixture;

/**
 * What one model gave each instance of one task: per instance its score of every choice (summed token
 * log-probabilities, the paper's rank classification) and the index of the gold choice.
 *
 * @param model the model's {@code id@version}
 * @param template the task's {@code dataset/template}
 * @param ids the instances' ids, in order
 * @param gold per instance the index of its gold choice
 * @param scores per instance, per choice, the model's score
 */
record ScoreTable(String model, String template, List<String> ids, int[] gold, List<double[]> scores) {

    ScoreTable {
        ids = List.copyOf(ids);
        scores = List.copyOf(scores);
        if (gold.length != ids.size() || scores.size() != ids.size()) {
            throw new IllegalArgumentException(model + " on " + template + ": " + ids.size() + " instances, " + gold.length
                    + " gold answers and " + scores.size() + " score rows; expected one of each per instance");
        }
    }

    int size() {
        return ids.size();
    }

    /** The choice the model ranks first on instance {@code i} (a tie to the first). */
    int predicted(int i) {
        return OutputMixture.best(scores.get(i));
    }

    /** The share of instances whose first-ranked choice is the gold one. */
    double accuracy() {
        int right = 0;
        for (int i = 0; i < size(); i++) {
            right += predicted(i) == gold[i] ? 1 : 0;
        }
        return size() == 0 ? Double.NaN : right / (double) size();
    }

    /**
     * The largest difference between this table's scores and {@code other}'s, instance by instance and choice by
     * choice; infinite when they hold other instances or another number of choices.
     */
    double largestDifference(ScoreTable other) {
        if (!ids.equals(other.ids)) {
            return Double.POSITIVE_INFINITY;
        }
        double largest = 0;
        for (int i = 0; i < size(); i++) {
            double[] a = scores.get(i);
            double[] b = other.scores.get(i);
            if (a.length != b.length) {
                return Double.POSITIVE_INFINITY;
            }
            for (int c = 0; c < a.length; c++) {
                largest = Math.max(largest, Math.abs(a[c] - b[c]));
            }
        }
        return largest;
    }
}
