package org.expertlm.api;

import java.util.List;

/**
 * What training an expert produced.
 *
 * @param expert the expert as written into the model store
 * @param trainExamples training examples used
 * @param validationExamples validation examples measured after every epoch
 * @param validationAccuracy the best epoch's validation accuracy (rank classification)
 * @param bestEpoch that epoch, from 1
 * @param steps optimiser steps taken
 * @param seconds wall time of the whole run, encoding the inputs included (earlier invocations of a resumed run too)
 * @param history one line per epoch
 */
public record TrainingReport(ExpertDescriptor expert, int trainExamples, int validationExamples, double validationAccuracy,
        int bestEpoch, int steps, double seconds, List<String> history) {

    public TrainingReport {
        history = List.copyOf(history);
    }
}
