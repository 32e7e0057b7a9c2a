package org.expertlm.api;

/**
 * The floor an expert must reach on a classification template: a logistic-regression probe on the
 * frozen encoder's sentence vectors.
 *
 * @param task the template
 * @param trainExamples examples the probe was fitted on
 * @param validationExamples examples it was measured on
 * @param classes the distinct targets of the training examples
 * @param accuracy its validation accuracy
 * @param embedSeconds time spent embedding the inputs
 * @param fitSeconds time spent fitting the probe
 */
public record ProbeReport(String task, int trainExamples, int validationExamples, int classes, double accuracy,
        double embedSeconds, double fitSeconds) {
}
