package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * README's main job on the distribution as a user runs it (only an ELM home set): a fresh container seeded with the
 * shipped default library solves the shipped held-out example task, against the multitask baseline.
 */
public class MainJobIT {

    private static final Path REPO = Paths.get(System.getProperty("elm.repo", "..")).toAbsolutePath().normalize();
    private static final Path TASK = REPO.resolve("runtime/target/elm/configs/examples/grammar-acceptability.correct-yes-no.jsonl");

    private ElmScript elm;

    @Before
    public void home() throws Exception {
        elm = ElmScript.home(Files.createTempDirectory("elm-main-job-"), Duration.ofMinutes(8));
    }

    @After
    public void stop() throws Exception {
        elm.stopDaemonAndDelete();
    }

    /** The library instances of an expert jar, none for the multitask baseline (which retrieval leaves out). */
    private static int libraryInstances(Path jar) throws Exception {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            JsonNode expert = ElmScript.JSON.readTree(zip.getInputStream(zip.getEntry("expert.json")));
            if (expert.path("kind").asText().equals("multitask")) {
                return 0;
            }
            return (int) new String(zip.getInputStream(zip.getEntry("library.jsonl")).readAllBytes(), StandardCharsets.UTF_8)
                    .lines().filter(l -> !l.isBlank()).count();
        }
    }

    @Test
    public void theShippedLibrarySolvesTheHeldOutExampleBesideTheMultitaskBaseline() throws Exception {
        List<Path> shipped;
        try (Stream<Path> jars = Files.list(REPO.resolve("runtime/target/elm/deploy"))) {
            shipped = jars.filter(p -> p.getFileName().toString().endsWith(".jar")).toList();
        }
        assertTrue("the distribution ships the default library", shipped.size() >= 10);
        int libraryInstances = 0;
        for (Path jar : shipped) {
            libraryInstances += libraryInstances(jar);
        }
        long lines;
        try (Stream<String> task = Files.lines(TASK)) {
            lines = task.filter(l -> !l.isBlank()).count();
        }

        ElmScript.Result r = elm.run("exec", "elm:solve --json --baseline multitask " + TASK);
        assertEquals(r.err(), 0, r.status());
        JsonNode solved = ElmScript.singleJsonDocument(r.out());
        assertTrue("progress on standard error: " + r.err(), r.err().contains("instances scored"));

        JsonNode retrieval = solved.path("retrieval");
        assertEquals("the whole shipped library was searched, the multitask baseline's library left out", libraryInstances,
                retrieval.path("libraryInstances").asInt());
        assertTrue("the baseline is compared with, never retrieved", retrieval.path("experts").findValues("expertId").stream()
                .noneMatch(id -> id.asText().equals("multitask")));
        assertEquals("the paper's Q", 32, retrieval.path("queries").asInt());
        int votes = 0;
        for (JsonNode c : retrieval.path("experts")) {
            votes += c.path("votes").asInt();
            assertTrue("each choice is explained by its nearest library instances", c.path("nearest").size() > 0);
        }
        assertEquals("k = 1: one vote per query", 32, votes);
        String top = retrieval.path("experts").path(0).path("expertId").asText() + "@"
                + retrieval.path("experts").path(0).path("version").asText();

        assertEquals(lines, solved.path("instances").asLong());
        assertEquals("every line carries its label", lines, solved.path("labelled").asLong());
        double accuracy = solved.path("accuracy").asDouble();
        assertTrue(solved.toString(), accuracy >= 0 && accuracy <= 1);
        Set<String> answering = new HashSet<>();
        double correct = 0;
        for (JsonNode p : solved.path("predictions")) {
            answering.add(p.path("experts").path(0).asText());
            correct += p.path("score").asDouble();
            assertEquals(p.toString(), p.path("answer").asText().equals(p.path("gold").asText()) ? 1.0 : 0.0,
                    p.path("score").asDouble(), 0);
        }
        assertEquals("per task, the top expert answers every instance", Set.of(top), answering);
        assertEquals(accuracy, correct / lines, 1e-9);
        assertEquals("multitask@1.0.0", solved.path("baseline").path("expert").asText());
        assertTrue(solved.toString(), solved.path("baseline").path("accuracy").isNumber());
        System.out.printf("main job: %s, accuracy %.4f; multitask %.4f%n", top, accuracy,
                solved.path("baseline").path("accuracy").asDouble());
    }
}
