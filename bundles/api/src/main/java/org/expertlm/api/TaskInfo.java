package org.expertlm.api;

import java.util.List;
import java.util.Map;

/**
 * A dataset of the task catalog with its prompt templates.
 *
 * @param dataset the dataset's id
 * @param cluster the task cluster it belongs to (sentiment, topic, …)
 * @param heldOut true for the clusters no expert is ever trained on
 * @param description what the task is, in one sentence
 * @param sources the data sources it is built from
 * @param templates its prompt templates
 * @param counts examples per split ({@code train}, {@code validation}, {@code test}); empty when not built
 * @param status {@code ready}, or what is missing and how to get it
 */
public record TaskInfo(String dataset, String cluster, boolean heldOut, String description, List<String> sources,
        List<Template> templates, Map<String, Integer> counts, String status) {

    /**
     * A prompt template of the dataset.
     *
     * @param id {@code dataset/template}, the name used everywhere
     * @param answers {@code choices} for rank classification, {@code generation} otherwise
     * @param choices the fixed answer choices, empty when they vary per example or for generation
     */
    public record Template(String id, String answers, List<String> choices) {
    }

    /** True when the examples can be read. */
    public boolean isReady() {
        return "ready".equals(status);
    }
}
