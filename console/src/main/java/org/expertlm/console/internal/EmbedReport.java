package org.expertlm.console.internal;

/**
 * What {@code elm:embed} returns.
 *
 * @param model the encoder's model id
 * @param text the text embedded
 * @param dimension the vector's length
 * @param norm its Euclidean length (1 for a unit vector)
 * @param vector the sentence vector
 */
record EmbedReport(String model, String text, int dimension, double norm, float[] vector) {

    static EmbedReport of(String model, String text, float[] vector) {
        double sum = 0;
        for (float v : vector) {
            sum += v * (double) v;
        }
        return new EmbedReport(model, text, vector.length, Math.sqrt(sum), vector);
    }
}
