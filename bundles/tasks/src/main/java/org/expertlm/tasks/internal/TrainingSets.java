package org.expertlm.tasks.internal;

import java.util.ArrayList;
import java.util.List;

import org.expertlm.api.ExpertKind;
import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskInfo;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TrainingSet;

/**
 * The examples an expert is trained on, from the catalog: one template (a Prompt Expert, on a
 * classification or a generation template), every
 * classification template of a dataset (a Dataset Expert; every template of a dataset that has only
 * generation templates), or every classification template of the
 * training clusters ({@code multitask}, the MT baseline). Held-out datasets are refused. Validation
 * examples: at most {@value #VALIDATION_CAP} per template ({@value #MULTITASK_VALIDATION_CAP} for the
 * MT baseline).
 */
final class TrainingSets {

    static final int VALIDATION_CAP = 500;
    /**
     * The MT baseline's validation examples per template, for choosing its best epoch: its 22 templates'
     * full splits (many of 6 to 15 choices) would take longer to score than an epoch to train. It is
     * measured on full validation splits by elm:evaluate.
     */
    static final int MULTITASK_VALIDATION_CAP = 50;
    static final String MULTITASK = "multitask";
    private static final int TRAIN_CAP_PER_TEMPLATE = 100_000;

    private TrainingSets() {
    }

    /** @param heldOutToo whether a held-out template may be learned (a new task, learned on purpose) */
    static TrainingSet of(TaskCatalog catalog, String what, boolean heldOutToo) {
        List<String> templates = new ArrayList<>();
        for (TaskInfo task : catalog.tasks()) {
            boolean generationOnly = what.equals(task.dataset())
                    && task.templates().stream().noneMatch(x -> "choices".equals(x.answers()));
            for (TaskInfo.Template t : task.templates()) {
                boolean wanted = what.equals(t.id()) || what.equals(task.dataset())
                        || MULTITASK.equals(what) && !task.heldOut();
                if (!wanted) {
                    continue;
                }
                if (task.heldOut() && !heldOutToo) {
                    throw new IllegalArgumentException(task.dataset() + " belongs to the held-out cluster " + task.cluster()
                            + ": no expert is trained on it");
                }
                // A generation template is a Prompt Expert of its own; Dataset Experts and the MT baseline are
                // chosen and measured by rank classification, so they take the classification templates, and a
                // dataset of generation templates alone gets a Dataset Expert of those (measured by ROUGE-L).
                if ("choices".equals(t.answers()) || what.equals(t.id()) || generationOnly) {
                    templates.add(t.id());
                }
            }
        }
        if (templates.isEmpty()) {
            throw new IllegalArgumentException("'" + what + "' names no template, no dataset with classification templates, nor '" + MULTITASK
                    + "'; see elm:tasks for the ids");
        }
        List<List<TaskExample>> trains = new ArrayList<>();
        List<TaskExample> validation = new ArrayList<>();
        for (String t : templates) {
            trains.add(catalog.examples(t, Split.TRAIN, TRAIN_CAP_PER_TEMPLATE));
            validation.addAll(catalog.examples(t, Split.VALIDATION, MULTITASK.equals(what) ? MULTITASK_VALIDATION_CAP : VALIDATION_CAP));
        }
        ExpertKind kind = MULTITASK.equals(what) ? ExpertKind.MULTITASK : what.contains("/") ? ExpertKind.PROMPT : ExpertKind.DATASET;
        String id = what.replace('/', '.') + (kind == ExpertKind.DATASET ? ".dataset" : "");
        return new TrainingSet(id, kind, what, templates, interleave(trains), validation);
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
