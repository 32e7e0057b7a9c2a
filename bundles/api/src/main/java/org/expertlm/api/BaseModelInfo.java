package org.expertlm.api;

/**
 * A base model as trained: what {@link NeuralEngine#trainBase} reports.
 *
 * @param id {@code name@sha256:…}, the digest being that of the decoder's tensor file
 * @param folder where the model was written
 * @param steps optimiser steps of the whole run
 * @param targetTokens decoder target tokens seen in training
 * @param trainLoss mean loss of the last 100 steps
 * @param heldOutLoss mean per-token loss on held-out windows of the corpus
 * @param seconds wall time of this invocation (a resumed run counts only its own part)
 */
public record BaseModelInfo(String id, String folder, int steps, long targetTokens, double trainLoss, double heldOutLoss,
        double seconds) {
}
