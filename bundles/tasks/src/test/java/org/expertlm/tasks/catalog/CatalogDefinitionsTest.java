package org.expertlm.tasks.catalog;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.expertlm.tasks.catalog.builders.Builders;
import org.expertlm.tasks.data.Sources;
import org.junit.Test;

/** The catalog files as shipped: complete, consistent, and of the size the suite promises. */
public class CatalogDefinitionsTest {

    private final List<DatasetDefinition> all = DatasetDefinition.all();

    @Test
    public void theSuiteHasThePromisedBreadth() {
        long training = all.stream().filter(d -> !d.heldOut()).map(DatasetDefinition::cluster).distinct().count();
        Set<String> heldOut = new HashSet<>();
        all.stream().filter(DatasetDefinition::heldOut).forEach(d -> heldOut.add(d.cluster()));
        int pairs = all.stream().mapToInt(d -> d.templates().size()).sum();
        assertTrue("datasets: " + all.size(), all.size() >= 15);
        assertTrue("training clusters: " + training, training >= 7);
        assertEquals(Set.of("acceptability", "word-sense", "paraphrase", "composed"), heldOut);
        assertTrue("dataset x template pairs: " + pairs, pairs >= 40);
    }

    @Test
    public void aComposedTaskIsHeldOutAndKeepsTheSplitsOfTheDatasetItComposes() {
        for (String composed : List.of("genre-lettered", "topic-lettered")) {
            DatasetDefinition d = all.stream().filter(x -> x.dataset().equals(composed)).findFirst().orElseThrow();
            DatasetDefinition of = all.stream().filter(x -> x.dataset().equals(d.splitsOf())).findFirst().orElseThrow();
            assertTrue(composed + " is held out", d.heldOut());
            assertEquals("composed", d.cluster());
            assertEquals(of.builder(), d.builder());
            for (int i = 0; i < 500; i++) {
                assertEquals(composed + " record " + i, Splitter.splitOf(of, "r" + i), Splitter.splitOf(d, "r" + i));
            }
        }
        DatasetDefinition own = all.get(0);
        assertEquals("a dataset splits as itself unless it says otherwise", own.dataset(), own.splitsOf());
    }

    @Test
    public void everyDefinitionNamesKnownSourcesAndBuildersAndUniqueTemplates() {
        Set<String> datasets = new HashSet<>();
        for (DatasetDefinition d : all) {
            assertTrue("duplicate dataset " + d.dataset(), datasets.add(d.dataset()));
            d.sources().forEach(Sources::byId);
            Builders.named(d.builder());
            assertTrue(d.dataset() + " has fewer than 2 templates", d.templates().size() >= 2);
            Set<String> names = new HashSet<>();
            d.templates().forEach(t -> assertTrue("duplicate template " + t.name(), names.add(t.name())));
        }
    }

    @Test
    public void classificationDatasetsShareAnswerFormatsAcrossClusters() {
        int yesNo = 0;
        int lettered = 0;
        for (DatasetDefinition d : all) {
            boolean classification = d.templates().stream().allMatch(TemplateDefinition::isClassification);
            if (classification && d.templates().stream().anyMatch(t -> t.choices().equals(List.of("yes", "no")))) {
                yesNo++;
            }
            if (d.templates().stream().anyMatch(t -> t.choices().equals(List.of("A", "B"))
                    || "letters:options".equals(t.choicesFrom()))) {
                lettered++;
            }
        }
        assertTrue("datasets with a yes/no template: " + yesNo, yesNo >= 8);
        assertTrue("datasets with a lettered template: " + lettered, lettered >= 6);
    }

    @Test
    public void fixedChoiceTargetsMapOnlyToTheirChoices() {
        Pattern map = Pattern.compile("\\{[a-z0-9_]+\\|map:([^}]*)}");
        for (DatasetDefinition d : all) {
            for (TemplateDefinition t : d.templates()) {
                Matcher m = map.matcher(t.target());
                if (m.matches() && !t.choices().isEmpty()) {
                    for (String pair : m.group(1).split(";")) {
                        String to = pair.split("=", 2)[1];
                        assertTrue(d.dataset() + "/" + t.name() + " maps to '" + to + "', not a choice", t.choices().contains(to));
                    }
                }
            }
        }
    }
}
