package org.expertlm.tasks.catalog;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.expertlm.api.Split;
import org.expertlm.api.TaskExample;
import org.junit.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

public class SplitterAndRendererTest {

    private static DatasetDefinition definition(String json) throws Exception {
        return DatasetDefinition.parse(new ObjectMapper().readTree(json));
    }

    private static final String DATASET = "{\"dataset\":\"toy\",\"cluster\":\"c\",\"builder\":\"polarity-csv\",\"seed\":7,"
            + "\"cap\":{\"train\":50,\"validation\":1000,\"test\":1000},"
            + "\"templates\":[{\"name\":\"a\",\"input\":\"{text}?\",\"choices\":[\"yes\",\"no\"],\"target\":\"{label|map:p=yes;n=no}\"},"
            + "{\"name\":\"b\",\"input\":\"{text}\\n{options|lettered}\",\"choicesFrom\":\"letters:options\",\"target\":\"{answer|letter:options}\"}]}";

    private static List<Record> records(int n) {
        List<Record> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            records.add(new Record("r" + i, Map.of("text", "t" + i, "label", i % 2 == 0 ? "p" : "n")));
        }
        return records;
    }

    @Test
    public void splitsDependOnIdsAloneNotOnOrderAndAreCapped() throws Exception {
        DatasetDefinition d = definition(DATASET);
        List<Record> records = records(1000);
        Map<Split, List<Record>> first = Splitter.split(d, records);
        List<Record> shuffled = new ArrayList<>(records);
        Collections.shuffle(shuffled, new Random(3));
        Map<Split, List<Record>> second = Splitter.split(d, shuffled);
        assertEquals(first, second);
        assertEquals(50, first.get(Split.TRAIN).size());
        int validation = first.get(Split.VALIDATION).size();
        assertTrue("about 10% validation: " + validation, validation > 60 && validation < 140);
        assertEquals(Split.TEST, Splitter.splitOf(d, first.get(Split.TEST).get(0).id()));
        DatasetDefinition reseeded = definition(DATASET.replace("\"seed\":7", "\"seed\":8"));
        assertTrue(!Splitter.split(reseeded, records).equals(first));
    }

    @Test
    public void splitPercentagesMustSumToAHundred() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> definition(DATASET.replace("\"seed\":7", "\"seed\":7,\"splits\":{\"train\":90,\"validation\":20,\"test\":10}")));
        assertTrue(e.getMessage(), e.getMessage().contains("do not sum to 100"));
    }

    @Test
    public void templatesRenderFieldsMapsAndLetteredOptions() throws Exception {
        DatasetDefinition d = definition(DATASET);
        TaskExample yesNo = Renderer.render("toy", d.template("a"), new Record("x", Map.of("text", "Good?", "label", "n")), Split.TEST);
        assertEquals("toy/a", yesNo.task());
        assertEquals("Good??", yesNo.input());
        assertEquals("no", yesNo.target());
        assertEquals(List.of("yes", "no"), yesNo.choices());

        Record mc = new Record("y", Map.of("text", "Pick", "options", List.of("cat", "dog", "cow"), "answer", "dog"));
        TaskExample lettered = Renderer.render("toy", d.template("b"), mc, Split.TRAIN);
        assertEquals("Pick\nA. cat\nB. dog\nC. cow", lettered.input());
        assertEquals("B", lettered.target());
        assertEquals(List.of("A", "B", "C"), lettered.choices());
    }

    @Test
    public void aValueOutsideTheMapOrAMissingFieldIsAnErrorThatSaysWhich() throws Exception {
        DatasetDefinition d = definition(DATASET);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Renderer.render("toy", d.template("a"), new Record("x", Map.of("text", "t", "label", "maybe")), Split.TRAIN));
        assertTrue(e.getMessage(), e.getMessage().contains("'maybe'"));
        e = assertThrows(IllegalArgumentException.class,
                () -> Renderer.render("toy", d.template("a"), new Record("x", Map.of("label", "p")), Split.TRAIN));
        assertTrue(e.getMessage(), e.getMessage().contains("no field 'text'"));
    }
}
