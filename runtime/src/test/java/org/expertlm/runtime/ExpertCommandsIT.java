package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The engine's commands in the assembled distribution, over a fixture-sized base model the test
 * writes and an expert it trains on fetched data: score, generate, train (a timed-out run cancelled,
 * then resumed to the same tensors as an uninterrupted run), evaluate, probe, the engine's cache, and
 * every command's {@code --json} as one document.
 */
public class ExpertCommandsIT {

    private static final String EXPERT = "brown-pos.word-pos";
    private ElmScript elm;

    @Before
    public void daemonWithAFixtureBaseModel() throws Exception {
        elm = new ElmScript(Files.createTempDirectory("elm-experts-"), Duration.ofSeconds(300));
        ElmScript.Result fetch = elm.run("data", "fetch", "brown");
        assertEquals(fetch.err() + fetch.out(), 0, fetch.status());
        ElmScript.Result started = elm.run("start", "--daemon");
        assertEquals(started.err() + started.out(), 0, started.status());
    }

    @After
    public void stop() throws Exception {
        elm.stopDaemonAndDelete();
    }

    @Test
    public void aBaseModelScoresAndGeneratesAndAnExpertTrainsResumesAfterATimeoutAndEvaluates() throws Exception {
        String encoder = elm.json("elm:embed --json x").path("model").asText();
        String base = FixtureBaseModel.write(elm.models, "fixture", encoder);

        JsonNode models = elm.json("elm:models --json");
        assertTrue(models.toString(), models.path("baseModels").toString().contains(base));
        assertEquals(elm.models.toString(), models.path("folder").asText());

        JsonNode score = elm.json("elm:score --json fixture 'is this a noun?' yes no");
        assertEquals(base, score.path("model").asText());
        assertEquals(2, score.path("choices").size());
        assertTrue(Double.isFinite(score.path("choices").get(0).path("score").asDouble()));

        JsonNode generated = elm.json("elm:generate --json --max 4 fixture the war");
        assertEquals(base, generated.path("model").asText());
        assertTrue(generated.path("output").isTextual());

        Path config = elm.root.resolve("fixture-expert.json");
        Files.writeString(config, """
                {"fullDecoder": false, "houlsby": ["cross"], "reduction": 32, "lora": [], "loraRank": 4, "loraAlpha": 8,
                 "encoderLayers": 0, "epochs": 12, "batchSize": 4, "learningRate": 0.01, "warmupSteps": 2, "weightDecay": 0.0,
                 "clipNorm": 1.0, "seed": 3, "patience": 12, "maxTrainExamples": 96, "checkpointEvery": 1000}
                """);
        String train = "elm:train expert brown-pos/word-pos --base fixture --config " + config + " --json";

        JsonNode whole = elm.json(train);
        // The runs after this one find the inputs' states in the encoder's cache: they are their epochs' time long.
        long seconds = Math.max(4, Math.round(epochSeconds(whole.path("history"))));
        String tensors = whole.path("expert").path("tensorsSha256").asText();
        assertEquals(EXPERT + "@1.0.0", whole.path("expert").path("id").asText() + "@" + whole.path("expert").path("version").asText());
        assertEquals(base, whole.path("expert").path("base").path("id").asText());
        Path folder = elm.models.resolve("experts").resolve(EXPERT);
        assertTrue(Files.isRegularFile(folder.resolve("adapter.safetensors")));
        JsonNode provenance = new ObjectMapper().readTree(folder.resolve("expert.json").toFile()).path("provenance");
        assertEquals("an expert's adapters train on the direct trainer", "direct", provenance.path("gradients").asText());
        deleteTree(folder);

        // Half the uninterrupted run's epochs in: within the training. The timeout cancels the job.
        ElmScript.Result timedOut = elm.run("exec", "--timeout", String.valueOf(seconds / 2), train);
        assertEquals(timedOut.err(), 124, timedOut.status());
        assertTrue(timedOut.err(), timedOut.err().contains("timed out"));
        // The job stops after its current step; wait for it rather than for a time.
        assertEquals("the timed-out job was cancelled", "cancelled", awaitJobState("cancelled"));
        assertTrue("the cancelled run left its checkpoint", Files.isDirectory(folder.resolve("checkpoints")));

        ElmScript.Result resumed = elm.run("exec", "--timeout", "300", train);
        assertEquals(resumed.err(), 0, resumed.status());
        assertTrue(resumed.err(), resumed.err().contains("resuming from step"));
        JsonNode report = ElmScript.singleJsonDocument(resumed.out());
        assertEquals("the resumed run ends with the uninterrupted run's tensors", tensors,
                report.path("expert").path("tensorsSha256").asText());
        assertEquals(whole.path("steps").asInt(), report.path("steps").asInt());
        assertTrue("the checkpoints are gone once the expert is written", !Files.exists(folder.resolve("checkpoints")));

        JsonNode evaluation = elm.json("elm:evaluate --json " + EXPERT + " brown-pos/word-pos");
        assertEquals(EXPERT + "@1.0.0", evaluation.path("model").asText());
        assertEquals(report.path("validationExamples").asInt(), evaluation.path("examples").asInt());
        // The fixture's vocabulary lacks the part-of-speech words, so several choices are the same [UNK] sequence and
        // tie; which one wins depends on float rounding, which differs between the training graph and the served one.
        // So: close to the validation score, and the same as itself when served again.
        assertEquals("the expert scores about as it did in validation", report.path("validationScore").asDouble(),
                evaluation.path("accuracy").asDouble(), 0.05);
        assertEquals("served again, the same accuracy", evaluation.path("accuracy").asDouble(),
                elm.json("elm:evaluate --json " + EXPERT + " brown-pos/word-pos").path("accuracy").asDouble(), 0);

        // The packager: the expert as a bundle jar, data only; packed again, the same bytes.
        Path bundles = elm.root.resolve("bundles");
        JsonNode packed = elm.json("elm:package --json --out " + bundles + " " + EXPERT);
        assertEquals(packed.path("sha256").asText(), elm.json("elm:package --json --out " + bundles + " " + EXPERT).path("sha256").asText());
        Path jar = Path.of(packed.path("jar").asText());
        assertEquals(bundles.resolve(EXPERT + "-1.0.0.jar"), jar);
        assertEquals(encoder, packed.path("encoder").asText());
        try (JarFile bundle = new JarFile(jar.toFile())) {
            List<String> entries = Collections.list(bundle.entries()).stream().map(JarEntry::getName).toList();
            assertEquals(List.of("META-INF/MANIFEST.MF", "expert.json", "adapter.safetensors", "library.jsonl", "library.safetensors"),
                    entries);
            assertEquals(EXPERT, bundle.getManifest().getMainAttributes().getValue("Bundle-SymbolicName"));
            String library = new String(bundle.getInputStream(bundle.getEntry("library.jsonl")).readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(packed.path("libraryInstances").asInt(), library.lines().count());
            assertTrue(library, packed.path("libraryInstances").asInt() > 0 && library.contains("\"template\":\"brown-pos/word-pos\""));
            JsonNode description = new ObjectMapper().readTree(bundle.getInputStream(bundle.getEntry("expert.json")));
            assertEquals(tensors, description.path("sha256").asText());
        }

        // Deploying it, refusals, versions: ExpertBundlesIT.

        JsonNode engine = elm.json("elm:engine --json");
        assertTrue(engine.toString(), engine.path("loaded").toString().contains(base)
                && engine.path("loaded").toString().contains(EXPERT + "@1.0.0"));
        assertTrue(engine.path("cacheBytes").asLong() > 0);

        JsonNode probe = elm.json("elm:probe --json --max 40 brown-pos/word-pos");
        assertEquals(40, probe.path("trainExamples").asInt());
        double accuracy = probe.path("accuracy").asDouble();
        assertTrue("accuracy " + accuracy, accuracy >= 0 && accuracy <= 1);

        // The fixture's vocabulary lacks the part-of-speech words: a generation expert over it is refused, saying why.
        JsonNode coverage = elm.json("elm:coverage --json --base fixture brown-pos/tag-sentence");
        JsonNode tags = coverage.path("templates").get(0);
        assertEquals("brown-pos/tag-sentence", tags.path("task").asText());
        assertTrue(tags.toString(), tags.path("coverage").asDouble() < coverage.path("minimum").asDouble());
        ElmScript.Result refused = elm.run("exec", "elm:train expert brown-pos/tag-sentence --base fixture --config " + config);
        assertNotEquals(0, refused.status());
        assertTrue(refused.err(), refused.err().contains("brown-pos/tag-sentence: the output vocabulary of " + base)
                && refused.err().contains("cannot learn to write them"));

        // A client that goes away (killed, as by Ctrl-C) cancels the job it was waiting for.
        deleteTree(folder);
        Process client = elm.start("killed", "exec", "--timeout", "300", train);
        assertEquals("the job started", "running", awaitJobState("running"));
        client.destroy();
        client.waitFor();
        assertEquals("the job of a client that went away was cancelled", "cancelled", awaitJobState("cancelled"));

        // Ctrl-C (here SIGTERM) on an exec that runs its own container stops its framework: the job is cancelled and
        // writes its checkpoint on the way out, and the same command resumes from it.
        deleteTree(folder);
        Path freshWork = elm.root.resolve("fresh-work");
        Process fresh = elm.start("fresh", "exec", "--work", freshWork.toString(), "--timeout", "300", train);
        Path freshErr = elm.root.resolve("fresh.err");
        for (long end = System.nanoTime() + 180_000_000_000L; System.nanoTime() < end
                && !(Files.exists(freshErr) && Files.readString(freshErr).contains("epoch 1/12  loss"));) {
            Thread.sleep(200);
        }
        assertTrue("the fresh container's job trained an epoch: " + Files.readString(freshErr),
                Files.readString(freshErr).contains("epoch 1/12  loss"));
        fresh.destroy();
        fresh.waitFor();
        String log = Files.readString(freshWork.resolve("log").resolve("elm.log"));
        assertTrue("the job was cancelled as the container stopped: " + log, log.contains("training cancelled after step")
                || log.contains("training cancelled while measuring an epoch"));
        ElmScript.Result again = elm.run("exec", "--timeout", "300", train);
        assertEquals(again.err(), 0, again.status());
        assertTrue(again.err(), again.err().contains("resuming from step"));
        assertEquals("and ends with the uninterrupted run's tensors", tensors,
                ElmScript.singleJsonDocument(again.out()).path("expert").path("tensorsSha256").asText());

        ElmScript.Result unknown = elm.run("exec", "elm:score no-such-model 'x' a b");
        assertNotEquals(0, unknown.status());
        assertTrue(unknown.err(), unknown.err().contains("no model 'no-such-model'") && unknown.err().contains(base)
                && unknown.err().contains(EXPERT + "@1.0.0"));
    }

    /** Polls the newest job's state until it is {@code wanted}, for at most a minute; returns the last one seen. */
    private String awaitJobState(String wanted) throws Exception {
        String state = "";
        for (long end = System.nanoTime() + 60_000_000_000L; !state.equals(wanted) && System.nanoTime() < end;) {
            JsonNode jobs = elm.json("elm:jobs --json").path("jobs");
            state = jobs.size() == 0 ? "" : jobs.get(0).path("state").asText();
        }
        return state;
    }

    private static void deleteTree(Path folder) throws Exception {
        if (!Files.exists(folder)) {
            return;
        }
        try (var all = Files.walk(folder)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The seconds the epochs of a training report took, from its history lines ("epoch 2/6  loss …  2.8 s  memory …"). */
    private static double epochSeconds(JsonNode history) {
        Pattern epoch = Pattern.compile("^epoch \\d+/\\d+ .*?  ([0-9.]+) s  ");
        double seconds = 0;
        for (JsonNode line : history) {
            Matcher m = epoch.matcher(line.asText());
            if (m.find()) {
                seconds += Double.parseDouble(m.group(1));
            }
        }
        assertTrue("the report's history has its epochs' times: " + history, seconds > 0);
        return seconds;
    }
}
