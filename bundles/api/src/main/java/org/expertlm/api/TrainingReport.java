package org.expertlm.api;

import java.util.List;

/**
 * What training an expert produced.
 *
 * @param expert the expert as written into the model store
 * @param trainExamples training examples used
 * @param validationExamples validation examples measured after every epoch
 * @param metric what was measured: {@code accuracy} (rank classification) or {@code rougeL} (the mean ROUGE-L of
 *     what a generation expert writes, greedily)
 * @param validationScore the best epoch's validation score in that metric
 * @param bestEpoch that epoch, from 1
 * @param steps optimiser steps taken
 * @param seconds wall time of the whole run, encoding the inputs included (earlier invocations of a resumed run too)
 * @param history one line per epoch
 */
public record TrainingReport(ExpertDescriptor expert, int trainExamples, int validationExamples, String metric,
        double validationScore,
        int bestEpoch, int steps, double seconds, List<String> history) {

    public TrainingReport {
        history = List.copyOf(history);
    }
}
