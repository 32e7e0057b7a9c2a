package org.expertlm.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The evaluation's quick mode over fixture experts in a daemon: configs/eval/fixture.json run with {@code --quick}
 * writes a report whose tables carry what the experts answer (the baseline's accuracy on the unseen task is the one
 * {@code elm:solve --expert} gives on the same instances) and its PNG plots; run again, it scores nothing and writes
 * the same tables.
 */
public class EvalIT {

    private static final String POS = "brown-pos.word-pos";
    private static final String GENRE = "brown-genre.which-genre";
    private static final String UNSEEN = "genre-lettered/lettered";
    private static final String NEW_TASK = "brown-genre/genre-label";
    private static final String NEW_EXPERT = "brown-genre.genre-label";
    private static final String CHAIN = "brown-pos.word-pos-then-genre";

    private ElmScript elm;

    @Before
    public void daemon() throws Exception {
        elm = ElmScript.daemonOverBrown("elm-eval-");
    }

    @After
    public void stop() throws Exception {
        elm.stopDaemonAndDelete();
    }

    @Test
    public void aQuickRunWritesTheReportWithTheExpertsNumbersAndResumes() throws Exception {
        String encoder = elm.json("elm:embed --json x").path("model").asText();
        FixtureBaseModel.write(elm.models, "fixture", encoder);
        for (Path jar : new Path[] {elm.trainFixtureExpert("brown-pos/word-pos", POS, "1.0.0", "[\"cross\"]", 1, 1, 3),
                elm.trainFixtureExpert("brown-genre/which-genre", GENRE, "1.0.0", "[\"cross\"]", 1, 2, 3)}) {
            Files.copy(jar, elm.deploy.resolve(jar.getFileName()));
        }
        elm.console("elm:list --json --wait 10");
        Path report = elm.root.resolve("FIXTURE.md");
        Path config = elm.root.resolve("fixture.json");
        Path repository = Paths.get(System.getProperty("elm.repo", "..")).toAbsolutePath().normalize();
        // Experiment 3 over the fixtures: a new task's expert, and the baseline fine-tuned on that task.
        Path continual = elm.root.resolve("continual.json");
        Files.writeString(continual, """
                {"format": "elm-library/1", "base": "fixture", "version": "1.0.0", "out": "continual-out",
                 "settings": "expert-configs/brown-pos.word-pos-1.0.0.json",
                 "experts": ["%s", {"task": "%s", "id": "%s", "from": "bundles/brown-pos.word-pos-1.0.0.jar"}]}
                """.formatted(NEW_TASK, NEW_TASK, CHAIN));
        Files.writeString(config, Files.readString(repository.resolve("configs/eval/fixture.json"))
                .replace("reports/FIXTURE.md", report.toString())
                .replace("\"methods\"", "\"continual\": \"" + continual + "\",\n  \"methods\""));
        int installed = elm.console("elm:list --json").path("experts").size();

        long started = System.nanoTime();
        JsonNode first = elm.console("elm:eval --quick --json " + config, Duration.ofSeconds(300));
        System.out.printf("quick evaluation: %.0f s, its continual jobs' training included%n", (System.nanoTime() - started) / 1e9);
        assertEquals(report.toString(), first.path("report").asText());
        assertTrue("score tables computed", first.path("scored").asInt() > 0);
        String text = Files.readString(report);
        for (String section : new String[] {"## 1. Unseen tasks", "## 2. Seen tasks", "## 3. Continual learning", "## 4. Composition",
                "## 5. Retrieval ablations", "## Provenance"}) {
            assertTrue(section + " in\n" + text, text.contains(section));
        }
        assertTrue("the library-size ablation", text.contains("| S = 8 | ") && text.contains("| S = 100 | "));
        // Experiment 3: the new expert and the fine-tuned baseline were trained, measured, and taken out again.
        assertTrue(text, text.contains("| " + CHAIN + "@1.0.0 (after " + NEW_TASK + ") |"));
        assertTrue(text, text.contains("the same answers on 2 of 2 seen templates"));
        assertEquals("the library is as it was", installed, elm.console("elm:list --json").path("experts").size());
        assertTrue(Files.isRegularFile(elm.work.resolve("eval/fixture-quick/continual/" + CHAIN + "-1.0.0.jar")));
        // The new task's own expert on it is what elm:solve --expert gives (it is deployed again for the check).
        String newTaskRow = text.lines().filter(l -> l.startsWith("| each task's own prompt expert |")).findFirst().orElseThrow();
        Path newTask = elm.root.resolve("new-task.jsonl");
        elm.console("elm:examples --json -n 16 --split test --jsonl " + newTask + " " + NEW_TASK);
        Files.copy(elm.work.resolve("eval/fixture-quick/continual/" + NEW_EXPERT + "-1.0.0.jar"),
                elm.deploy.resolve(NEW_EXPERT + "-1.0.0.jar"));
        elm.console("elm:list --json --wait 10");
        double own = elm.console("elm:solve --json --expert " + NEW_EXPERT + " " + newTask).path("accuracy").asDouble();
        assertTrue(newTaskRow, newTaskRow.endsWith(" | " + String.format(Locale.ROOT, "%.3f", own) + " |"));
        Files.delete(elm.deploy.resolve(NEW_EXPERT + "-1.0.0.jar"));
        elm.console("elm:list --json --wait 10");
        assertEquals(3, first.path("plots").size());
        for (JsonNode plot : first.path("plots")) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(Path.of(plot.asText())), 4);
            assertArrayEquals(plot.asText() + " is a PNG", new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
            assertTrue(text.contains(report.getParent().relativize(Path.of(plot.asText())).toString()));
        }

        // The baseline's accuracy in the unseen table is what the baseline answers on the same 16 test instances.
        Path instances = elm.root.resolve("unseen.jsonl");
        elm.console("elm:examples --json -n 16 --split test --jsonl " + instances + " " + UNSEEN);
        double baseline = elm.console("elm:solve --json --expert " + POS + " " + instances).path("accuracy").asDouble();
        String row = text.lines().filter(l -> l.startsWith("| " + UNSEEN + " | 16 |")).findFirst().orElseThrow();
        assertTrue(row, row.startsWith("| " + UNSEEN + " | 16 | " + String.format(Locale.ROOT, "%.3f", baseline) + " |"));
        String merge = text.lines().filter(l -> l.startsWith("| " + UNSEEN + " | 16 | average of " + GENRE + " + " + POS + " |"))
                .findFirst().orElseThrow();
        // The composition's reading names the best merge's accuracy (the only method here: the average).
        String reading = "- " + UNSEEN + ": the best merge " + merge.substring(merge.lastIndexOf("| ", merge.length() - 3) + 2,
                merge.length() - 2) + ", ";
        assertTrue(reading + " in\n" + text, text.contains(reading));
        assertTrue(text, text.contains("composed tasks and the best baseline on "));

        // Run again: every table is read back, none scored, and the tables are the same.
        JsonNode second = elm.console("elm:eval --quick --json " + config);
        assertEquals(0, second.path("scored").asInt());
        assertEquals(first.path("scored").asInt() + first.path("reused").asInt(), second.path("reused").asInt());
        assertEquals(withoutProvenance(text), withoutProvenance(Files.readString(report)));
    }

    private static String withoutProvenance(String report) {
        return report.substring(0, report.indexOf("## Provenance"));
    }
}
