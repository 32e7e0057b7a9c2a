package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The {@code ./elm} script at the repository root, run as a user runs it: from another directory,
 * with its own work, deploy, data and models folders under {@link #root}.
 */
final class ElmScript {

    static final ObjectMapper JSON = new ObjectMapper();

    /** What a run printed and its exit status. */
    record Result(int status, String out, String err) {
    }

    final Path root;
    final Path work;
    final Path deploy;
    final Path models;
    private final Duration limit;
    /** True when only ELM_HOME is set, as a user's: the distribution's models, its library seeded into the home's deploy/. */
    private final boolean asHome;
    /** The configuration folder when a test has its own ({@link #ownConfigs}); else the repository's. */
    private Path configs;

    ElmScript(Path root, Duration limit) {
        this(root, limit, false);
    }

    private ElmScript(Path root, Duration limit, boolean asHome) {
        this.root = root;
        this.work = root.resolve("work");
        this.deploy = root.resolve("deploy");
        this.models = root.resolve("models");
        this.limit = limit;
        this.asHome = asHome;
    }

    /** Gives the container a configuration folder of its own, {@code root/configs}, holding the repository's files. */
    Path ownConfigs() throws IOException {
        Path repository = Paths.get(System.getProperty("elm.repo", "..")).resolve("configs");
        configs = Files.createDirectories(root.resolve("configs"));
        try (Stream<Path> files = Files.list(repository)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, configs.resolve(f.getFileName()));
            }
        }
        return configs;
    }

    /** The script with {@code root} as its ELM home and nothing else set: what a user of the distribution runs. */
    static ElmScript home(Path root, Duration limit) {
        return new ElmScript(root, limit, true);
    }

    /** Starts {@code ./elm} without waiting: its output goes to {@code name}.out and {@code name}.err under {@link #root}. */
    Process start(String name, String... args) throws IOException {
        return builder(args).redirectOutput(root.resolve(name + ".out").toFile())
                .redirectError(root.resolve(name + ".err").toFile()).start();
    }

    private ProcessBuilder builder(String... args) {
        Path script = Paths.get(System.getProperty("elm.repo", "..")).resolve("elm").toAbsolutePath().normalize();
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
        Map<String, String> env = builder.environment();
        List.of("ELM_HOME", "ELM_WORK", "ELM_DEPLOY", "ELM_CONFIGS", "ELM_DATA", "ELM_MODELS").forEach(env::remove);
        if (asHome) {
            env.put("ELM_HOME", root.toString());
            return builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        env.put("ELM_WORK", work.toString());
        env.put("ELM_DEPLOY", deploy.toString());
        env.put("ELM_DATA", root.resolve("data").toString());
        env.put("ELM_MODELS", models.toString());
        if (configs != null) {
            env.put("ELM_CONFIGS", configs.toString());
        }
        return builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }

    Result run(String... args) throws Exception {
        File out = root.resolve("out.txt").toFile();
        File err = root.resolve("err.txt").toFile();
        Process process = builder(args).redirectOutput(out).redirectError(err).start();
        if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("./elm " + String.join(" ", args) + " did not finish within " + limit.toSeconds() + " s");
        }
        return new Result(process.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                Files.readString(err.toPath(), StandardCharsets.UTF_8));
    }

    /** Runs Gogo commands with {@code ./elm exec}, expects success and exactly one JSON document on standard output. */
    JsonNode json(String commands) throws Exception {
        Result r = run("exec", "--timeout", String.valueOf(limit.toSeconds()), commands);
        assertEquals(commands + ": " + r.err(), 0, r.status());
        return singleJsonDocument(r.out());
    }

    /**
     * Runs commands on the daemon's console socket in this process (a JVM per request would be the test's cost) and
     * returns their one JSON document; fails the test when they fail.
     */
    JsonNode console(String commands) throws Exception {
        return console(commands, Duration.ofSeconds(120));
    }

    /** {@link #console(String)} with a time limit of its own (commands that train). */
    JsonNode console(String commands, Duration limit) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ConsoleClient.run(work.resolve("run").resolve("console.sock"), commands, limit,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(commands + ": " + err.toString(StandardCharsets.UTF_8), 0, status);
        return singleJsonDocument(out.toString(StandardCharsets.UTF_8));
    }

    /** Runs commands on the daemon's console socket, which must fail with {@code message} on standard error. */
    void consoleFails(String commands, String message) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ConsoleClient.run(work.resolve("run").resolve("console.sock"), commands, Duration.ofSeconds(60),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertNotEquals(commands + " should fail", 0, status);
        assertTrue(commands + ": " + err, err.toString(StandardCharsets.UTF_8).contains(message));
    }

    /**
     * A home in a new temporary folder ({@code prefix} and digits) with its own copy of the repository's configs, the
     * Brown corpus fetched and a daemon started: what the tests over fixture experts of Brown's templates begin with.
     */
    static ElmScript daemonOverBrown(String prefix) throws Exception {
        ElmScript elm = new ElmScript(Files.createTempDirectory(prefix), Duration.ofSeconds(300));
        elm.ownConfigs();
        Result fetch = elm.run("data", "fetch", "brown");
        assertEquals(fetch.err() + fetch.out(), 0, fetch.status());
        elm.startDaemon();
        return elm;
    }

    /** Starts a daemon of this home, its deploy folder polled every 50 ms; fails the test when it does not start. */
    void startDaemon() throws Exception {
        Result started = run("start", "--daemon", "--poll", "50");
        assertEquals(started.err() + started.out(), 0, started.status());
    }

    /**
     * Trains a small expert of {@code template} over the fixture base model (32 training examples, Houlsby adapters
     * after {@code houlsby}, a JSON array, and LoRA on the encoder's top {@code encoderLayers} layers), packages it, and
     * returns its jar.
     */
    Path trainFixtureExpert(String template, String id, String version, String houlsby, int encoderLayers, int epochs, int seed)
            throws Exception {
        Path config = Files.createDirectories(root.resolve("expert-configs")).resolve(id + "-" + version + ".json");
        Files.writeString(config, """
                {"fullDecoder": false, "houlsby": %s, "reduction": 32, "lora": [], "loraRank": 4, "loraAlpha": 8,
                 "encoderLayers": %d, "epochs": %d, "batchSize": 4, "learningRate": 0.01, "warmupSteps": 2, "weightDecay": 0.0,
                 "clipNorm": 1.0, "seed": %d, "patience": 2, "maxTrainExamples": 32, "checkpointEvery": 1000}
                """.formatted(houlsby, encoderLayers, epochs, seed));
        json("elm:train expert " + template + " --base fixture --version " + version + " --config " + config + " --json");
        JsonNode packed = json("elm:package --json --out " + root.resolve("bundles") + " " + id + "@" + version);
        return Path.of(packed.path("jar").asText());
    }

    /** Stops a daemon of this work folder, forcibly if it does not stop. */
    void stopDaemon() throws Exception {
        run("stop");
        Path pid = work.resolve("elm.pid");
        if (Files.exists(pid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
        }
    }

    /**
     * Stops the daemon, then deletes {@link #root}: a run leaves hundreds of megabytes of fetched data, a
     * distribution's work folder and models behind. {@code -Delm.keepTestFolders=true} keeps them to look at.
     */
    void stopDaemonAndDelete() throws Exception {
        stopDaemon();
        if (Boolean.getBoolean("elm.keepTestFolders")) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete the test folder " + root + ": " + e);
        }
    }

    static JsonNode singleJsonDocument(String text) throws IOException {
        try (JsonParser parser = JSON.createParser(text)) {
            JsonNode node = JSON.readTree(parser);
            assertTrue("expected one JSON object, got: " + text, node != null && node.isObject());
            assertEquals("exactly one JSON document, nothing after it: " + text, null, parser.nextToken());
            return node;
        }
    }
}
