package org.expertlm.tasks.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import java.util.SortedSet;
import java.util.TreeSet;

import org.expertlm.api.ExpertKind;
import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TaskInfo;
import org.expertlm.api.TrainingSet;
import org.junit.Test;

/** Which templates and examples a Prompt Expert, a Dataset Expert and the MT baseline are trained on. */
public class TrainingSetsTest {

    private static final int EXAMPLES = 60;

    /**
     * Three training datasets (one with a generation template, one with generation templates only) and a held-out
     * one, 60 examples per split.
     */
    private static final TaskCatalog CATALOG = new TaskCatalog() {
        @Override
        public List<TaskInfo> tasks() {
            return List.of(task("sentiment", false, choices("sentiment/positive-or-negative"), choices("sentiment/yes-no"),
                    new TaskInfo.Template("sentiment/write-review", "generation", List.of())),
                    task("topic", false, choices("topic/which-topic")),
                    task("titles", false, new TaskInfo.Template("titles/write-title", "generation", List.of()),
                            new TaskInfo.Template("titles/title-label", "generation", List.of())),
                    task("acceptability", true, choices("acceptability/acceptable-or-not")));
        }

        @Override
        public List<TaskExample> examples(String templateId, Split split, int limit) {
            List<TaskExample> out = new ArrayList<>();
            for (int i = 0; i < Math.min(limit, EXAMPLES); i++) {
                out.add(new TaskExample(templateId, templateId + "#" + i, split, "input " + i, "a", List.of("a", "b")));
            }
            return out;
        }

        @Override
        public TrainingSet trainingSet(String what) {
            return TrainingSets.of(this, what, false);
        }

        @Override
        public TrainingSet newTaskTrainingSet(String templateId) {
            return TrainingSets.of(this, templateId, true);
        }

        @Override
        public SortedSet<String> answerWords() {
            return new TreeSet<>();
        }

        @Override
        public List<String> lmCorpus() {
            return List.of();
        }
    };

    private static TaskInfo task(String dataset, boolean heldOut, TaskInfo.Template... templates) {
        return new TaskInfo(dataset, dataset, heldOut, dataset, List.of(), List.of(templates), Map.of(), "ready");
    }

    private static TaskInfo.Template choices(String id) {
        return new TaskInfo.Template(id, "choices", List.of("a", "b"));
    }

    @Test
    public void aPromptExpertLearnsOneTemplate() {
        TrainingSet data = TrainingSets.of(CATALOG, "topic/which-topic", false);
        assertEquals("topic.which-topic", data.expertId());
        assertEquals(ExpertKind.PROMPT, data.kind());
        assertEquals(List.of("topic/which-topic"), data.templates());
        assertEquals(EXAMPLES, data.train().size());
        assertEquals(EXAMPLES, data.validation().size());
    }

    @Test
    public void aDatasetExpertLearnsEveryClassificationTemplateOfItsDatasetInTurn() {
        TrainingSet data = TrainingSets.of(CATALOG, "sentiment", false);
        assertEquals("sentiment.dataset", data.expertId());
        assertEquals(ExpertKind.DATASET, data.kind());
        assertEquals(List.of("sentiment/positive-or-negative", "sentiment/yes-no"), data.templates());
        assertEquals(2 * EXAMPLES, data.train().size());
        assertEquals(List.of("sentiment/positive-or-negative#0", "sentiment/yes-no#0", "sentiment/positive-or-negative#1"),
                data.train().subList(0, 3).stream().map(TaskExample::id).toList());
    }

    @Test
    public void aDatasetOfGenerationTemplatesAloneGetsADatasetExpertOfThem() {
        TrainingSet data = TrainingSets.of(CATALOG, "titles", false);
        assertEquals("titles.dataset", data.expertId());
        assertEquals(ExpertKind.DATASET, data.kind());
        assertEquals(List.of("titles/write-title", "titles/title-label"), data.templates());
        assertEquals(2 * EXAMPLES, data.train().size());
    }

    @Test
    public void theMultitaskBaselineLearnsEveryTrainingClassificationTemplateAndChoosesItsEpochOnFewerExamples() {
        TrainingSet data = TrainingSets.of(CATALOG, "multitask", false);
        assertEquals("multitask", data.expertId());
        assertEquals(ExpertKind.MULTITASK, data.kind());
        assertEquals("classification templates only", List.of("sentiment/positive-or-negative", "sentiment/yes-no",
                "topic/which-topic"), data.templates());
        assertEquals(3 * EXAMPLES, data.train().size());
        assertEquals(3 * TrainingSets.MULTITASK_VALIDATION_CAP, data.validation().size());
    }

    @Test
    public void heldOutAndUnknownNamesAreRefusedWithTheReasonAndAGenerationTemplateIsItsOwnExpert() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainingSets.of(CATALOG, "acceptability", false))
                .getMessage().contains("held-out cluster"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainingSets.of(CATALOG, "acceptability/acceptable-or-not",
                false)).getMessage().contains("held-out cluster"));
        TrainingSet newTask = CATALOG.newTaskTrainingSet("acceptability/acceptable-or-not");
        assertEquals("asked for on purpose, a held-out template is a new task's Prompt Expert", ExpertKind.PROMPT, newTask.kind());
        assertEquals(List.of("acceptability/acceptable-or-not"), newTask.templates());
        assertEquals(EXAMPLES, newTask.train().size());
        assertFalse("the multitask baseline still leaves it out", CATALOG.trainingSet("multitask").templates()
                .contains("acceptability/acceptable-or-not"));
        TrainingSet generation = TrainingSets.of(CATALOG, "sentiment/write-review", false);
        assertEquals("a generation template is a Prompt Expert of its own", List.of("sentiment/write-review"),
                generation.templates());
        assertEquals(ExpertKind.PROMPT, generation.kind());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrainingSets.of(CATALOG, "nothing", false))
                .getMessage().contains("see elm:tasks"));
    }
}
