package org.expertlm.api;

import java.util.List;

/**
 * An expert as trained: what {@link NeuralEngine#trainExpert} reports.
 *
 * @param id the expert's id
 * @param task a template id, a dataset id, or {@code multitask}
 * @param folder where it was written
 * @param trainExamples training examples used
 * @param validationAccuracy the best epoch's validation accuracy (rank classification)
 * @param bestEpoch that epoch, from 1
 * @param steps optimiser steps taken
 * @param seconds wall time, encoding the inputs included
 * @param history one line per epoch
 */
public record ExpertInfo(String id, String task, String folder, int trainExamples, double validationAccuracy, int bestEpoch,
        int steps, double seconds, List<String> history) {

    public ExpertInfo {
        history = List.copyOf(history);
    }
}
