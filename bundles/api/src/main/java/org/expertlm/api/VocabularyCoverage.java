package org.expertlm.api;

import java.util.List;

/**
 * How much of a generation template's targets a base model's output vocabulary can express: the
 * share of the targets' word pieces in the vocabulary (the rest can only come out as [UNK]).
 *
 * @param base the base model
 * @param task the template
 * @param examples the targets counted
 * @param pieces their word pieces
 * @param coverage the share of those pieces the vocabulary holds
 * @param expressible the share of targets every piece of which it holds
 * @param missing the most frequent pieces it lacks, most frequent first (at most 10)
 */
public record VocabularyCoverage(String base, String task, int examples, long pieces, double coverage, double expressible,
        List<String> missing) {

    /** Below this share of covered pieces a generation template cannot have an expert over the base model. */
    public static final double MINIMUM = 0.90;

    public VocabularyCoverage {
        missing = List.copyOf(missing);
    }

    /** True when an expert over the base model can learn the template: {@link #coverage} is at least {@link #MINIMUM}. */
    public boolean sufficient() {
        return coverage >= MINIMUM;
    }
}
