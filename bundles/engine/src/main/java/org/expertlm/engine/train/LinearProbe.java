package org.expertlm.engine.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The floor an expert must reach: multinomial logistic regression on frozen sentence vectors, the
 * classes being the distinct gold answers of the training examples. Full-batch gradient descent on
 * the mean cross-entropy with an L2 penalty (as scikit-learn's default, C = 1: the penalty is
 * ||W||² / (2·n)), from zero weights, so the same data give the same probe.
 */
public final class LinearProbe {

    private static final int ITERATIONS = 2000;
    private static final double STEP = 1.0;
    private static final int PROGRESS_EVERY = 500;

    private final List<String> classes;
    private final double[][] weights;
    private final double[] bias;

    private LinearProbe(List<String> classes, double[][] weights, double[] bias) {
        this.classes = classes;
        this.weights = weights;
        this.bias = bias;
    }

    /** Fits the probe on vectors and their labels. */
    public static LinearProbe fit(List<float[]> vectors, List<String> labels) {
        return fit(vectors, labels, line -> { });
    }

    /** Fits the probe on vectors and their labels, with a progress line every {@value #PROGRESS_EVERY} iterations. */
    public static LinearProbe fit(List<float[]> vectors, List<String> labels, Consumer<String> progress) {
        if (vectors.isEmpty() || vectors.size() != labels.size()) {
            throw new IllegalArgumentException(vectors.size() + " vectors and " + labels.size() + " labels; expected as many, at least one");
        }
        Map<String, Integer> index = new LinkedHashMap<>();
        labels.forEach(l -> index.putIfAbsent(l, index.size()));
        int n = vectors.size();
        int d = vectors.get(0).length;
        int k = index.size();
        int[] y = labels.stream().mapToInt(index::get).toArray();
        double[][] w = new double[k][d];
        double[] b = new double[k];
        double[][] gw = new double[k][d];
        double[] gb = new double[k];
        double[] p = new double[k];
        long start = System.nanoTime();
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            if (iteration > 0 && iteration % PROGRESS_EVERY == 0) {
                double seconds = (System.nanoTime() - start) / 1e9;
                progress.accept(String.format("probe: iteration %d/%d  %.1f s  about %.0f s left", iteration, ITERATIONS,
                        seconds, seconds / iteration * (ITERATIONS - iteration)));
            }
            for (double[] row : gw) {
                java.util.Arrays.fill(row, 0);
            }
            java.util.Arrays.fill(gb, 0);
            for (int i = 0; i < n; i++) {
                probabilities(w, b, vectors.get(i), p);
                p[y[i]] -= 1;
                float[] x = vectors.get(i);
                for (int c = 0; c < k; c++) {
                    gb[c] += p[c];
                    for (int j = 0; j < d; j++) {
                        gw[c][j] += p[c] * x[j];
                    }
                }
            }
            for (int c = 0; c < k; c++) {
                b[c] -= STEP * gb[c] / n;
                for (int j = 0; j < d; j++) {
                    w[c][j] -= STEP * (gw[c][j] + w[c][j]) / n;
                }
            }
        }
        return new LinearProbe(new ArrayList<>(index.keySet()), w, b);
    }

    /** The number of classes. */
    public int classes() {
        return classes.size();
    }

    /** The most probable class of a vector. */
    public String predict(float[] vector) {
        double[] p = new double[classes.size()];
        probabilities(weights, bias, vector, p);
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return classes.get(best);
    }

    /** The share of vectors whose predicted class is their label. */
    public double accuracy(List<float[]> vectors, List<String> labels) {
        int right = 0;
        for (int i = 0; i < vectors.size(); i++) {
            right += predict(vectors.get(i)).equals(labels.get(i)) ? 1 : 0;
        }
        return right / (double) vectors.size();
    }

    private static void probabilities(double[][] w, double[] b, float[] x, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < out.length; c++) {
            double z = b[c];
            for (int j = 0; j < x.length; j++) {
                z += w[c][j] * x[j];
            }
            out[c] = z;
            max = Math.max(max, z);
        }
        double sum = 0;
        for (int c = 0; c < out.length; c++) {
            out[c] = Math.exp(out[c] - max);
            sum += out[c];
        }
        for (int c = 0; c < out.length; c++) {
            out[c] /= sum;
        }
    }
}
