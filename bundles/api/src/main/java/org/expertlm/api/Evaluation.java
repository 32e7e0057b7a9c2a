package org.expertlm.api;

/**
 * A model's rank-classification accuracy on examples, and how fast it scored them.
 *
 * @param model the model's name (a base model's id, or an expert's {@code id@version})
 * @param task the template the examples came from
 * @param split their split
 * @param examples how many were scored
 * @param accuracy the share whose best-scored choice is the target
 * @param seconds the wall time of the scoring, encoding the inputs included
 * @param examplesPerSecond examples scored per second
 */
public record Evaluation(String model, String task, String split, int examples, double accuracy, double seconds,
        double examplesPerSecond) {
}
