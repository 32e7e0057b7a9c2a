package org.expertlm.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code ./elm library train} on a library of two small experts over a fixture base model, in a running daemon:
 * each job writes its jar with its identity in the provenance; a second run makes nothing; a jar taken away is
 * packaged again from the model store, byte for byte; other settings are other jobs; a run killed in the middle
 * of an expert resumes from its checkpoint; a bad configuration is refused with the reason.
 */
public class LibraryTrainIT {

    private static final String SETTINGS = """
            {"fullDecoder": false, "houlsby": ["cross"], "reduction": 32, "lora": [], "loraRank": 4, "loraAlpha": 8,
             "encoderLayers": 0, "epochs": %d, "batchSize": 4, "learningRate": 0.01, "warmupSteps": 2, "weightDecay": 0.0,
             "clipNorm": 1.0, "seed": %d, "patience": 5, "maxTrainExamples": 48, "checkpointEvery": 2}
            """;

    private ElmScript elm;
    private Path library;
    private Path out;

    @Before
    public void daemonWithAFixtureBaseModel() throws Exception {
        elm = new ElmScript(Files.createTempDirectory("elm-library-"), Duration.ofSeconds(300));
        library = Files.createDirectories(elm.root.resolve("configs").resolve("library"));
        out = elm.root.resolve("jars");
        ElmScript.Result fetch = elm.run("data", "fetch", "brown");
        assertEquals(fetch.err() + fetch.out(), 0, fetch.status());
        ElmScript.Result started = elm.run("start", "--daemon");
        assertEquals(started.err() + started.out(), 0, started.status());
        FixtureBaseModel.write(elm.models, "fixture", elm.json("elm:embed --json x").path("model").asText());
    }

    @After
    public void stop() throws Exception {
        elm.stopDaemonAndDelete();
    }

    @Test
    public void eachExpertIsAJobWhoseJarIsMadeOnceAndWhoseTrainingResumes() throws Exception {
        Files.writeString(library.resolve("expert.json"), SETTINGS.formatted(2, 3));
        Path config = library.resolve("small.json");
        Files.writeString(config, """
                {"format": "elm-library/1", "base": "fixture", "version": "1.0.0", "settings": "expert.json",
                 "out": "../../jars", "experts": ["brown-pos/word-pos", {"task": "brown-pos", "version": "2.0.0"}]}
                """);

        ElmScript.Result made = elm.run("library", "train", "--out", out.toString(), config.toString(), "--json");
        assertEquals(made.err(), 0, made.status());
        JsonNode first = ElmScript.singleJsonDocument(made.out());
        assertEquals(List.of("TRAINED", "TRAINED"), states(first));
        Path prompt = out.resolve("brown-pos.word-pos-1.0.0.jar");
        Path dataset = out.resolve("brown-pos.dataset-2.0.0.jar");
        JsonNode described = ExpertJar.read(prompt).description();
        assertEquals("the jar records the job that made it", first.path("jobs").get(0).path("job").path("identity").asText(),
                described.path("provenance").path("job").asText());
        assertEquals("accuracy", first.path("jobs").get(1).path("metric").asText());
        assertTrue(first.toString(), first.path("jobs").get(1).path("validationScore").asDouble() > 0);

        // Made once: a second run finds both jars, and touches neither.
        byte[] promptBytes = Files.readAllBytes(prompt);
        FileTime written = Files.getLastModifiedTime(dataset);
        assertEquals(List.of("SKIPPED", "SKIPPED"), states(train(config)));
        assertArrayEquals(promptBytes, Files.readAllBytes(prompt));
        assertEquals(written, Files.getLastModifiedTime(dataset));

        // A jar taken away is packaged again from the model store (the job trained it there), byte for byte.
        Files.delete(prompt);
        assertEquals(List.of("PACKAGED", "SKIPPED"), states(train(config)));
        assertArrayEquals(promptBytes, Files.readAllBytes(prompt));

        // Other settings are another job: planned as pending, the jar named as made from other inputs.
        Files.writeString(library.resolve("expert.json"), SETTINGS.formatted(3, 4));
        JsonNode plan = elm.json("elm:library --json plan " + config);
        assertEquals(List.of("PENDING", "PENDING"), states(plan));
        assertTrue(plan.toString(), plan.path("jobs").get(0).path("message").asText().contains("from other inputs"));
        assertNotEquals(first.path("jobs").get(0).path("job").path("identity"), plan.path("jobs").get(0).path("job").path("identity"));

        // Killed in the middle of the second expert (the console client goes away: the daemon cancels the job,
        // which leaves its checkpoint), the same command resumes it there.
        Process killed = elm.start("killed", "library", "train", config.toString());
        Path err = elm.root.resolve("killed.err");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.readString(err, StandardCharsets.UTF_8).contains("[2/2] epoch 1/3  step 4/")) {
            assertTrue("no step of the second expert within 120 s: " + Files.readString(err), System.nanoTime() < deadline);
            Thread.sleep(20);
        }
        killed.destroyForcibly();
        killed.waitFor();
        awaitNoRunningJob();
        assertEquals("the killed run made the first jar, not the second", List.of("SKIPPED", "PENDING"),
                states(elm.json("elm:library --json plan " + config)));
        ElmScript.Result resumed = elm.run("library", "train", config.toString());
        assertEquals(resumed.err(), 0, resumed.status());
        assertTrue(resumed.err(), resumed.err().contains("[2/2] resuming from step"));
        assertTrue(resumed.out(), resumed.out().contains("{skipped=1, trained=1}"));
        assertEquals(List.of("SKIPPED", "SKIPPED"), states(elm.json("elm:library --json plan " + config)));
        assertFalse("the new settings made another expert", Arrays.equals(promptBytes, Files.readAllBytes(prompt)));
    }

    @Test
    public void anExpertTrainedFurtherStartsFromTheAdaptersItNamesAndIsMadeAgainWhenTheyChange() throws Exception {
        Files.writeString(library.resolve("expert.json"), SETTINGS.formatted(1, 3));
        Path config = library.resolve("chain.json");
        Files.writeString(config, """
                {"format": "elm-library/1", "base": "fixture", "settings": "expert.json", "out": "../../jars",
                 "experts": ["brown-pos/word-pos",
                             {"task": "brown-pos/word-pos-label", "id": "pos-then-label", "from": "brown-pos.word-pos"},
                             {"task": "brown-pos/word-pos-label", "id": "jar-then-label", "from": "../../jars/brown-pos.word-pos-1.0.0.jar"}]}
                """);
        ElmScript.Result refused = elm.run("library", "plan", config.toString());
        assertNotEquals("a jar that is not there yet cannot be started from", 0, refused.status());
        assertTrue(refused.err(), refused.err().contains("is neither an earlier expert of this library ([brown-pos.word-pos, "
                + "pos-then-label]) nor an expert jar at"));

        Files.writeString(config, """
                {"format": "elm-library/1", "base": "fixture", "settings": "expert.json", "out": "../../jars",
                 "experts": ["brown-pos/word-pos",
                             {"task": "brown-pos/word-pos-label", "id": "pos-then-label", "from": "brown-pos.word-pos"}]}
                """);
        assertEquals(List.of("TRAINED", "TRAINED"), states(train(config)));
        JsonNode start = ExpertJar.read(out.resolve("brown-pos.word-pos-1.0.0.jar")).description();
        JsonNode further = ExpertJar.read(out.resolve("pos-then-label-1.0.0.jar")).description();
        assertEquals("its adapters started from the first expert's", start.path("sha256").asText(),
                further.path("provenance").path("fromSha256").asText());
        assertTrue(further.path("provenance").path("history").get(0).asText().startsWith("epoch 0 (as started from)"));
        assertEquals(List.of("SKIPPED", "SKIPPED"), states(train(config)));

        // The expert it starts from made from other settings: both are other jobs.
        Files.writeString(library.resolve("expert.json"), SETTINGS.formatted(1, 4));
        assertEquals(List.of("PENDING", "PENDING"), states(elm.json("elm:library --json plan " + config)));

        // A jar named by its path is taken by its tensors: the same jar, the same job.
        Path byPath = library.resolve("by-path.json");
        Files.writeString(byPath, """
                {"format": "elm-library/1", "base": "fixture", "settings": "expert.json", "out": "../../jars-2",
                 "experts": [{"task": "brown-pos/word-pos-label", "id": "jar-then-label", "from": "../../jars/pos-then-label-1.0.0.jar"}]}
                """);
        JsonNode planned = elm.json("elm:library --json plan " + byPath);
        assertEquals("tensors:" + further.path("sha256").asText(),
                planned.path("jobs").get(0).path("job").path("fromIdentity").asText());
    }

    @Test
    public void aBadConfigurationIsRefusedWithTheReason() throws Exception {
        Files.writeString(library.resolve("expert.json"), SETTINGS.formatted(1, 3));
        refused("{\"format\": \"elm-library/9\", \"out\": \"x\", \"experts\": [\"brown-pos\"]}", "expected \"format\": \"elm-library/1\"");
        refused("{\"format\": \"elm-library/1\", \"base\": \"fixture\", \"settings\": \"expert.json\", \"out\": \"x\", "
                + "\"experts\": [\"no-such-task/x\"]}", "experts[0]: 'no-such-task/x' names no template");
        refused("{\"format\": \"elm-library/1\", \"base\": \"fixture\", \"settings\": \"expert.json\", \"out\": \"x\", "
                + "\"experts\": [\"brown-pos\", {\"task\": \"brown-pos\"}]}", "the id brown-pos.dataset is in the library twice");
        refused("{\"format\": \"elm-library/1\", \"base\": \"fixture\", \"settings\": \"missing.json\", \"out\": \"x\", "
                + "\"experts\": [\"brown-pos\"]}", "no training configuration at");
        refused("{\"format\": \"elm-library/1\", \"out\": \"x\", \"experts\": [\"brown-pos\"], \"epochs\": 3}",
                "unknown field \"epochs\"");
        refused("{\"format\": \"elm-library/1\", \"base\": \"fixture\", \"settings\": \"expert.json\", \"out\": \"x\", "
                + "\"experts\": [{\"task\": \"brown-pos/word-pos\", \"newTask\": \"yes\"}]}", "\"newTask\" is \"yes\"; expected true or false");
        refused("{\"format\": \"elm-library/1\", ", "is not valid JSON");
        refused("{\"format\": \"elm-library/1\", \"base\": \"fixture\", \"settings\": \"expert.json\", \"out\": \"x\", "
                + "\"version\": \"1.0\", \"experts\": [\"brown-pos\"]}", "version '1.0': expected major.minor.micro");

        // A job that fails (settings the trainer refuses) is reported, the other jobs go on, and the command fails.
        Files.writeString(library.resolve("bad-settings.json"), "{\"epochs\": \"many\"}");
        Path failing = library.resolve("failing.json");
        Files.writeString(failing, """
                {"format": "elm-library/1", "base": "fixture", "settings": "expert.json", "out": "../../failing",
                 "experts": [{"task": "brown-pos/word-pos", "settings": "bad-settings.json"}, "brown-pos/word-pos-label"]}
                """);
        ElmScript.Result r = elm.run("library", "train", failing.toString());
        assertNotEquals(r.out(), 0, r.status());
        assertTrue(r.err(), r.err().contains("1 of 2 jobs did not end with their jar"));
        assertTrue(r.out(), r.out().contains("{failed=1, trained=1}"));
        assertTrue(r.out(), r.out().contains("brown-pos.word-pos@1.0.0: ") && r.out().contains("\"many\""));
        assertTrue(Files.isRegularFile(elm.root.resolve("failing").resolve("brown-pos.word-pos-label-1.0.0.jar")));
    }

    private void refused(String config, String message) throws Exception {
        Path file = library.resolve("bad.json");
        Files.writeString(file, config);
        ElmScript.Result r = elm.run("library", "plan", file.toString());
        assertNotEquals(config + " should be refused", 0, r.status());
        assertTrue(config + ": " + r.err(), r.err().contains(message));
    }

    private JsonNode train(Path config) throws Exception {
        ElmScript.Result r = elm.run("library", "train", config.toString(), "--json");
        assertEquals(r.err(), 0, r.status());
        return ElmScript.singleJsonDocument(r.out());
    }

    private void awaitNoRunningJob() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (elm.json("elm:jobs --json").toString().contains("\"running\"")) {
            assertTrue("the killed run's job did not stop within 60 s", System.nanoTime() < deadline);
            Thread.sleep(100);
        }
    }

    private static List<String> states(JsonNode report) {
        List<String> states = new ArrayList<>();
        report.path("jobs").forEach(j -> states.add(j.path("state").asText()));
        return states;
    }
}
