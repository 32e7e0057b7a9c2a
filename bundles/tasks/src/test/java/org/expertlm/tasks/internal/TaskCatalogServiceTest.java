package org.expertlm.tasks.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.expertlm.api.Split;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TaskInfo;
import org.expertlm.tasks.catalog.DatasetDefinition;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.catalog.RecordStore;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class TaskCatalogServiceTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private TaskCatalogService catalog(Path cache) {
        TaskCatalogService service = new TaskCatalogService();
        service.activate(cache, DatasetDefinition.all());
        return service;
    }

    @Test
    public void everyTemplateOfABuiltDatasetRendersAndStatusesSayWhatIsMissing() throws Exception {
        Path cache = folder.getRoot().toPath();
        DatasetDefinition spam = DatasetDefinition.all().stream().filter(d -> d.dataset().equals("spam")).findFirst().orElseThrow();
        RecordStore.write(cache, spam, Map.of(
                Split.TRAIN, List.of(new Record("a", Map.of("text", "Buy now", "label", "spam")),
                        new Record("b", Map.of("text", "Lunch?", "label", "ham"))),
                Split.VALIDATION, List.of(), Split.TEST, List.of()), Map.of());
        TaskCatalogService service = catalog(cache);

        for (TaskInfo.Template t : service.tasks().stream().filter(t -> t.dataset().equals("spam")).findFirst().orElseThrow().templates()) {
            List<TaskExample> examples = service.examples(t.id(), Split.TRAIN, 10);
            assertEquals(t.id(), 2, examples.size());
            assertTrue(t.id(), examples.get(0).choices().contains(examples.get(0).target()));
        }
        assertEquals(1, service.examples("spam/spam-yes-no", Split.TRAIN, 1).size());
        assertEquals("yes", service.examples("spam/spam-yes-no", Split.TRAIN, 1).get(0).target());

        TaskInfo brown = service.tasks().stream().filter(t -> t.dataset().equals("brown-genre")).findFirst().orElseThrow();
        assertTrue(brown.status(), brown.status().startsWith("not fetched"));
        IllegalStateException notFetched = assertThrows(IllegalStateException.class,
                () -> service.examples("brown-genre/which-genre", Split.TRAIN, 1));
        assertTrue(notFetched.getMessage(), notFetched.getMessage().contains("./elm data fetch"));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> service.examples("spam", Split.TRAIN, 1));
        assertTrue(unknown.getMessage(), unknown.getMessage().contains("spam/junk-or-genuine"));
    }

    @Test
    public void aDamagedRecordFileIsReportedNotThrown() throws Exception {
        Path cache = folder.getRoot().toPath();
        Files.createDirectories(RecordStore.file(cache, "spam").getParent());
        Files.writeString(RecordStore.file(cache, "spam"), "garbage\n");
        TaskInfo spam = catalog(cache).tasks().stream().filter(t -> t.dataset().equals("spam")).findFirst().orElseThrow();
        assertTrue(spam.status(), spam.status().startsWith("unreadable"));
        assertTrue(spam.status(), spam.status().contains("run ./elm data fetch to rebuild it"));
    }
}
