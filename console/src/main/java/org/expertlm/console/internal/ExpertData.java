package org.expertlm.console.internal;

import java.util.ArrayList;
import java.util.List;

import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskInfo;
import org.expertlm.api.TaskExample;

/**
 * The examples an expert is trained on, from the catalog: one template (a Prompt Expert), every
 * classification template of a dataset (a Dataset Expert), or every classification template of the
 * training clusters ({@code multitask}, the MT baseline). Held-out datasets are refused.
 *
 * @param id the expert's id, made from what it learns
 * @param templates the templates the examples come from
 * @param train training examples, templates interleaved
 * @param validation validation examples, at most {@value #VALIDATION_CAP} per template
 */
record ExpertData(String id, List<String> templates, List<TaskExample> train, List<TaskExample> validation) {

    static final int VALIDATION_CAP = 500;
    /**
     * The MT baseline's validation examples per template, for choosing its best epoch: its 22 templates'
     * full splits (many of 6 to 15 choices) would take longer to score than an epoch to train. It is
     * measured on full validation splits by elm:evaluate.
     */
    static final int MULTITASK_VALIDATION_CAP = 50;
    static final String MULTITASK = "multitask";
    private static final int TRAIN_CAP_PER_TEMPLATE = 100_000;

    static ExpertData of(TaskCatalog catalog, String what) {
        List<String> templates = new ArrayList<>();
        for (TaskInfo task : catalog.tasks()) {
            for (TaskInfo.Template t : task.templates()) {
                boolean wanted = what.equals(t.id()) || what.equals(task.dataset())
                        || MULTITASK.equals(what) && !task.heldOut();
                if (!wanted) {
                    continue;
                }
                if (task.heldOut()) {
                    throw new IllegalArgumentException(task.dataset() + " belongs to the held-out cluster " + task.cluster()
                            + ": no expert is trained on it");
                }
                if ("choices".equals(t.answers())) {
                    templates.add(t.id());
                } else if (what.equals(t.id())) {
                    throw new IllegalArgumentException(t.id() + " is a generation template; experts are trained on "
                            + "classification templates here");
                }
            }
        }
        if (templates.isEmpty()) {
            throw new IllegalArgumentException("'" + what + "' names no classification template, dataset or '" + MULTITASK
                    + "'; see elm:tasks for the ids");
        }
        List<List<TaskExample>> trains = new ArrayList<>();
        List<TaskExample> validation = new ArrayList<>();
        for (String t : templates) {
            trains.add(catalog.examples(t, Split.TRAIN, TRAIN_CAP_PER_TEMPLATE));
            validation.addAll(catalog.examples(t, Split.VALIDATION, MULTITASK.equals(what) ? MULTITASK_VALIDATION_CAP : VALIDATION_CAP));
        }
        String id = (what.replace('/', '.') + (MULTITASK.equals(what) || what.contains("/") ? "" : ".dataset"));
        return new ExpertData(id, templates, interleave(trains), validation);
    }

    /** One example of each template in turn, so that a cap on training examples takes from every template. */
    private static List<TaskExample> interleave(List<List<TaskExample>> lists) {
        List<TaskExample> out = new ArrayList<>();
        for (int i = 0; out.size() < lists.stream().mapToInt(List::size).sum(); i++) {
            for (List<TaskExample> l : lists) {
                if (i < l.size()) {
                    out.add(l.get(i));
                }
            }
        }
        return out;
    }
}
