package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Retrieval and solving in a running daemon, over two small experts trained on fixtures (a part-of-speech one and a
 * genre one): every mode, format and granularity picks the expert of the task's own dataset; elm:solve answers with
 * it, or with a mixture of both; Config Admin sets the defaults; the index follows an expert removed while the
 * container is down, and one dropped in just before the container is killed.
 */
public class RetrievalIT {

    private static final String POS = "brown-pos.word-pos";
    private static final String GENRE = "brown-genre.which-genre";

    private ElmScript elm;
    private Path scratch;
    private Path configs;

    @Before
    public void daemonWithTwoExperts() throws Exception {
        elm = ElmScript.daemonOverBrown("elm-retrieval-");
        scratch = Files.createDirectories(elm.root.resolve("scratch"));
        configs = elm.root.resolve("configs");
    }

    @After
    public void stop() throws Exception {
        elm.stopDaemonAndDelete();
    }

    @Test
    public void retrievalPicksTheTasksOwnExpertAndSolvingAnswersWithIt() throws Exception {
        String encoder = elm.json("elm:embed --json x").path("model").asText();
        FixtureBaseModel.write(elm.models, "fixture", encoder);
        Path pos = elm.trainFixtureExpert("brown-pos/word-pos", POS, "1.0.0", "[\"cross\"]", 0, 1, 3);
        Path genre = elm.trainFixtureExpert("brown-genre/which-genre", GENRE, "1.0.0", "[\"cross\"]", 0, 1, 3);
        Path posTask = taskFile("brown-pos/word-pos", "pos.jsonl");
        Path genreTask = taskFile("brown-genre/which-genre", "genre.jsonl");
        failsWith("elm:retrieve " + posTask, "the expert library is empty");
        Files.copy(pos, elm.deploy.resolve(pos.getFileName()));
        Files.copy(genre, elm.deploy.resolve(genre.getFileName()));
        ask("elm:list --json --wait 10");

        // Every mode, format and granularity: the task's own expert first.
        for (String mode : List.of("dense", "bm25", "hybrid")) {
            for (String format : List.of("instance", "label_instance", "choice_instance")) {
                for (Path task : List.of(posTask, genreTask)) {
                    String own = task == posTask ? POS : GENRE;
                    JsonNode perTask = ask("elm:retrieve --json --mode " + mode + " --format " + format + " " + task);
                    assertEquals(mode + " " + format + ": " + perTask, own, perTask.path("experts").path(0).path("expertId").asText());
                    assertEquals(format.toUpperCase(), perTask.path("format").asText());
                    assertEquals(0, perTask.path("routes").size());
                    JsonNode perInstance = ask("elm:retrieve --json --per instance --mode " + mode + " --format " + format + " " + task);
                    assertEquals("each instance routed on its own", 8, perInstance.path("routes").size());
                    int own0 = 0;
                    for (JsonNode route : perInstance.path("routes")) {
                        assertEquals("k = 1: one vote each", 1, route.path(0).path("votes").asInt());
                        own0 += route.path(0).path("expertId").asText().equals(own) ? 1 : 0;
                    }
                    assertTrue(mode + " " + format + " per instance: " + perInstance, own0 >= 6);
                    assertEquals("the aggregate is their votes together", 8, votes(perInstance.path("experts")));
                }
            }
        }

        // elm:solve: per task the top expert answers all; a mixture of two names both and mixes their probabilities.
        JsonNode solved = ask("elm:solve --json " + posTask);
        assertEquals(8, solved.path("labelled").asInt());
        for (JsonNode p : solved.path("predictions")) {
            assertEquals(List.of(POS + "@1.0.0"), strings(p.path("experts")));
            assertEquals(8, p.path("probabilities").size());
            assertEquals(1.0, sum(p.path("probabilities")), 1e-9);
        }
        JsonNode mixed = ask("elm:solve --json -k 200 --mixture 2 --out " + scratch.resolve("mixed.jsonl") + " " + posTask);
        assertEquals(List.of(POS + "@1.0.0", GENRE + "@1.0.0"), new ArrayList<>(fieldNames(mixed.path("answeredBy"))));
        List<String> lines = Files.readAllLines(scratch.resolve("mixed.jsonl"));
        assertEquals(8, lines.size());
        JsonNode first = ElmScript.JSON.readTree(lines.get(0));
        assertEquals(List.of(POS + "@1.0.0", GENRE + "@1.0.0"), strings(first.path("experts")));
        assertEquals(1.0, sum(first.path("probabilities")), 1e-9);
        assertNotEquals("the mixture changes the probabilities", solved.path("predictions").path(0).path("probabilities"),
                first.path("probabilities"));
        JsonNode baseline = ask("elm:solve --json --baseline " + GENRE + " " + posTask).path("baseline");
        assertEquals(GENRE + "@1.0.0", baseline.path("expert").asText());
        JsonNode named = ask("elm:solve --json --expert " + GENRE + " " + posTask);
        assertTrue("a named expert retrieves nothing", named.path("retrieval").isNull());
        assertEquals(List.of(GENRE + "@1.0.0"), fieldNames(named.path("answeredBy")));
        assertEquals(baseline.path("accuracy").asDouble(), named.path("accuracy").asDouble(), 0);
        failsWith("elm:solve --baseline no-such-expert " + posTask, "no version of expert no-such-expert is installed");
        failsWith("elm:solve -q 0 " + posTask, "q = 0: at least one instance must vote");
        failsWith("elm:retrieve --format sentence " + posTask, "unknown format 'sentence'");
        Files.writeString(scratch.resolve("empty.jsonl"), "");
        failsWith("elm:solve " + scratch.resolve("empty.jsonl"), "holds no instance");
        Files.writeString(scratch.resolve("long.jsonl"), "{\"input\": \"" + "x".repeat(1 << 20) + "\"}\n");
        failsWith("elm:solve " + scratch.resolve("long.jsonl"), "line 1: 1048589 characters");
        assertEquals("bad input changed nothing", POS, ask("elm:retrieve --json " + posTask).path("experts").path(0)
                .path("expertId").asText());

        // Config Admin: the defaults follow the configuration; a bad value is logged and the paper's kept.
        Path cfg = TestBundles.write(configs, "org.expertlm.retrieval.cfg", "q = 3\nk = 2\nmode = bm25\n");
        JsonNode configured = awaitRetrieval(posTask, r -> r.path("queries").asInt() == 3);
        assertEquals(2, configured.path("k").asInt());
        assertEquals("BM25", configured.path("mode").asText());
        assertEquals("an option still wins", 5, ask("elm:retrieve --json -q 5 " + posTask).path("queries").asInt());
        TestBundles.write(configs, "org.expertlm.retrieval.cfg", "q = 0\nmode = sparse\n");
        JsonNode defaults = awaitRetrieval(posTask, r -> r.path("mode").asText().equals("DENSE"));
        assertEquals("q = 0 is refused: the default 32 (all 8 of the file)", 8, defaults.path("queries").asInt());
        Files.delete(cfg);

        // The index follows the registry across restarts: an expert removed while the container was down is gone.
        int both = ask("elm:retrieve --json " + posTask).path("libraryInstances").asInt();
        elm.stopDaemon();
        Files.delete(elm.deploy.resolve(genre.getFileName()));
        elm.startDaemon();
        JsonNode alone = ask("elm:retrieve --json -k 200 " + genreTask);
        assertEquals(List.of(POS), experts(alone));
        int posOnly = alone.path("libraryInstances").asInt();
        assertTrue(both + " > " + posOnly, both > posOnly);

        // A container killed right after a jar lands: restarted, the index holds each installed expert exactly once.
        Files.copy(genre, elm.deploy.resolve(genre.getFileName()));
        long pid = Long.parseLong(Files.readString(elm.work.resolve("elm.pid")).trim());
        Thread.sleep(150); // FileInstall's poll is 50 ms: the jar is being installed and indexed now
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
        elm.startDaemon();
        ask("elm:list --json --wait 10");
        JsonNode after = ask("elm:retrieve --json -k 200 " + genreTask);
        assertEquals(List.of(GENRE, POS), experts(after).stream().sorted().toList());
        assertEquals("no stale or doubled library instances", both, after.path("libraryInstances").asInt());
    }

    private Path taskFile(String template, String name) throws Exception {
        Path file = scratch.resolve(name);
        elm.json("elm:examples --json -n 8 --split validation --jsonl " + file + " " + template);
        return file;
    }

    private JsonNode awaitRetrieval(Path task, Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode r;
        do {
            r = ask("elm:retrieve --json " + task);
            if (until.test(r)) {
                return r;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the configuration never reached the retriever: " + r);
    }

    private static List<String> experts(JsonNode retrieval) {
        List<String> ids = new ArrayList<>();
        retrieval.path("experts").forEach(c -> ids.add(c.path("expertId").asText()));
        return ids;
    }

    private static int votes(JsonNode choices) {
        int votes = 0;
        for (JsonNode c : choices) {
            votes += c.path("votes").asInt();
        }
        return votes;
    }

    private static double sum(JsonNode numbers) {
        double sum = 0;
        for (JsonNode n : numbers) {
            sum += n.asDouble();
        }
        return sum;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private JsonNode ask(String commands) throws Exception {
        return elm.console(commands);
    }

    private void failsWith(String commands, String message) throws Exception {
        elm.consoleFails(commands, message);
    }
}
