package org.expertlm.console.internal;

import java.util.List;

import org.expertlm.api.VocabularyCoverage;

/**
 * What {@code elm:coverage} returns: per generation template, how much of its targets the base model's
 * output vocabulary expresses, and whether an expert can be trained on it.
 *
 * @param minimum the share of covered pieces a template needs
 * @param templates one line each
 */
record CoverageReport(double minimum, List<VocabularyCoverage> templates) {
}
