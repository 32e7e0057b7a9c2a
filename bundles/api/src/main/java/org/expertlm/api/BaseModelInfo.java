package org.expertlm.api;

/**
 * A base model as trained: what a {@link Trainer#trainBase} job reports.
 *
 * @param base the model as written into the model store
 * @param steps optimiser steps of the whole run
 * @param targetTokens decoder target tokens seen in training
 * @param trainLoss mean loss of the last 100 steps
 * @param heldOutLoss mean per-token loss on held-out windows of the corpus
 * @param seconds wall time of this invocation (a resumed run counts only its own part)
 */
public record BaseModelInfo(BaseModelRef base, int steps, long targetTokens, double trainLoss, double heldOutLoss,
        double seconds) {
}
