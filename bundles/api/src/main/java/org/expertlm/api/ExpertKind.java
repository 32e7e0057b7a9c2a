package org.expertlm.api;

import java.util.Locale;

/** What an expert was trained on: one prompt template, every template of a dataset, or the training mixture; or a merge of experts. */
public enum ExpertKind {
    /** A Prompt Expert: one {@code dataset/template}. */
    PROMPT,
    /** A Dataset Expert: every template of one dataset. */
    DATASET,
    /** The multitask (MT) baseline: every template of the training clusters. */
    MULTITASK,
    /** A merge of other experts' weights ({@link Composer}): its provenance holds the recipe. */
    COMPOSITE;

    /** The lower-case name used in files and on the console. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind named {@code text} ({@code prompt}, {@code dataset}, {@code multitask} or {@code composite}). */
    public static ExpertKind parse(String text) {
        for (ExpertKind k : values()) {
            if (k.id().equals(text)) {
                return k;
            }
        }
        throw new IllegalArgumentException("no expert kind '" + text + "'; expected prompt, dataset, multitask or composite");
    }
}
