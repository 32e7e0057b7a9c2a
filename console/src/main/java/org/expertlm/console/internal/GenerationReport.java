package org.expertlm.console.internal;

/**
 * What {@code elm:generate} returns.
 *
 * @param model the model that generated it (a base model's id, or an expert's id@version)
 * @param input the input
 * @param beam the beam width (1: greedy)
 * @param output the generated text
 */
record GenerationReport(String model, String input, int beam, String output) {
}
