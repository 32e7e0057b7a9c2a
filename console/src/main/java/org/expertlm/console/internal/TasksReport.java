package org.expertlm.console.internal;

import java.util.List;

import org.expertlm.api.TaskInfo;

/**
 * What {@code elm:tasks} returns: the catalog with its totals.
 *
 * @param datasets how many datasets
 * @param trainingClusters the clusters experts are trained on
 * @param heldOutClusters the clusters no expert sees
 * @param templates how many dataset/template pairs
 * @param tasks every dataset with its templates, counts per split and status
 */
record TasksReport(int datasets, List<String> trainingClusters, List<String> heldOutClusters, int templates,
        List<TaskInfo> tasks) {

    static TasksReport of(List<TaskInfo> tasks) {
        return new TasksReport(tasks.size(),
                tasks.stream().filter(t -> !t.heldOut()).map(TaskInfo::cluster).distinct().toList(),
                tasks.stream().filter(TaskInfo::heldOut).map(TaskInfo::cluster).distinct().toList(),
                tasks.stream().mapToInt(t -> t.templates().size()).sum(), tasks);
    }
}
