package org.expertlm.console.internal;

import java.util.List;

import org.expertlm.api.TaskExample;

/**
 * What {@code elm:examples} returns: rendered examples of one template in one split.
 *
 * @param template the {@code dataset/template} id
 * @param split the split's name
 * @param examples the examples, in their fixed order
 */
record ExamplesReport(String template, String split, List<TaskExample> examples) {
}
