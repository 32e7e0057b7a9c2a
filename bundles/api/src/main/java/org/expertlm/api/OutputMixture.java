package org.expertlm.api;

/**
 * The output mixture (LoraRetriever's): each expert's choice scores (summed token log-probabilities) become
 * probabilities over the choices by a softmax, and those are averaged, weighted by the experts' votes. The solver
 * answers with it, and the evaluation recomputes it from stored scores.
 */
public final class OutputMixture {

    private OutputMixture() {
    }

    /**
     * The mixed probability of each choice.
     *
     * @param scores per expert, its log-probability score of each choice (all the same length)
     * @param weights per expert, its weight (its votes); at least one positive
     */
    public static double[] combine(double[][] scores, double[] weights) {
        if (scores.length == 0 || scores.length != weights.length) {
            throw new IllegalArgumentException(scores.length + " experts' scores but " + weights.length + " weights");
        }
        int choices = scores[0].length;
        double[] mixed = new double[choices];
        double total = 0;
        for (int e = 0; e < scores.length; e++) {
            if (scores[e].length != choices) {
                throw new IllegalArgumentException("expert " + e + " scored " + scores[e].length + " choices, expert 0 " + choices);
            }
            double[] p = softmax(scores[e]);
            for (int c = 0; c < choices; c++) {
                mixed[c] += weights[e] * p[c];
            }
            total += weights[e];
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("the weights sum to " + total + "; at least one must be positive");
        }
        for (int c = 0; c < choices; c++) {
            mixed[c] /= total;
        }
        return mixed;
    }

    /**
     * exp(s - max) normalised: the largest score never overflows. A score that is not a number counts as impossible
     * (-∞), and when every choice is impossible they are equally likely: one bad score never spoils a mixture.
     */
    public static double[] softmax(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            if (!Double.isNaN(s)) {
                max = Math.max(max, s);
            }
        }
        double[] p = new double[scores.length];
        if (max == Double.NEGATIVE_INFINITY || max == Double.POSITIVE_INFINITY) {
            for (int i = 0; i < scores.length; i++) {
                p[i] = max == Double.NEGATIVE_INFINITY || scores[i] == max ? 1 : 0;
            }
        }
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isInfinite(max)) {
                p[i] = Double.isNaN(scores[i]) ? 0 : Math.exp(scores[i] - max);
            }
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** The index of the highest value; a tie to the first. */
    public static int best(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
