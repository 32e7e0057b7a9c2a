package org.expertlm.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import com.fasterxml.jackson.databind.JsonNode;

import org.expertlm.api.AdapterTensors;

/**
 * Expert bundles in a running daemon, made by the packager from two versions of a small expert trained
 * on fixtures: a jar dropped into the deploy folder answers through {@code elm:ask} within 2 s; ten kinds
 * of bad bundle are refused with their reason while the good one keeps answering, and a library of
 * another encoder is accepted with its vectors recomputed; upgrade, rollback, pin and unpin, kept across
 * restarts; and 100 upgrades and 100 rollbacks while two clients ask without pause, every answer whole
 * from the version it names.
 */
public class ExpertBundlesIT {

    private static final String EXPERT = "brown-pos.word-pos";
    private static final String ASK = "elm:ask --json " + EXPERT + " 'the dog runs' noun verb adjective";
    private ElmScript elm;
    private Path scratch;

    @Before
    public void daemonWithAFixtureBaseModel() throws Exception {
        elm = new ElmScript(Files.createTempDirectory("elm-bundles-"), Duration.ofSeconds(300));
        scratch = Files.createDirectories(elm.root.resolve("scratch"));
        ElmScript.Result fetch = elm.run("data", "fetch", "brown");
        assertEquals(fetch.err() + fetch.out(), 0, fetch.status());
        start();
    }

    private void start() throws Exception {
        elm.startDaemon();
    }

    @After
    public void stop() throws Exception {
        elm.stopDaemonAndDelete();
    }

    @Test
    public void expertBundlesDeployAreRefusedWithTheirReasonAndChangeVersionsLiveUnderLoad() throws Exception {
        String encoder = elm.json("elm:embed --json x").path("model").asText();
        FixtureBaseModel.write(elm.models, "fixture", encoder);
        Path v1 = trainAndPackage("1.0.0", 3);
        Path v2 = trainAndPackage("1.1.0", 4);

        // Deploy: the service within 2 s of the jar landing, and elm:ask answers with it.
        Files.copy(v1, scratch.resolve("v1.partial"));
        long landed = System.nanoTime();
        Files.move(scratch.resolve("v1.partial"), elm.deploy.resolve(v1.getFileName()));
        JsonNode settled = ask("elm:list --json --wait 10");
        assertEquals("elm:list --wait returns once the registry has taken the jar up", "[]", settled.path("pending").toString());
        assertTrue(settled.toString(), settled.path("experts").toString().contains("\"" + EXPERT + "\""));
        JsonNode installed = awaitBundle(EXPERT, "1.0.0", Duration.ofSeconds(2));
        double seconds = (System.nanoTime() - landed) / 1e9;
        assertTrue("the service within 2 s of the jar landing, not " + seconds + " s", seconds < 2);
        assertEquals(installed.toString(), "installed", installed.path("state").asText());
        assertTrue(installed.toString(), installed.path("active").asBoolean());
        System.out.printf("deploy to service: %.2f s%n", seconds);
        JsonNode first = ask(ASK);
        assertEquals(EXPERT + "@1.0.0", first.path("model").asText());
        Files.writeString(scratch.resolve("task.jsonl"), """
                {"input": "the dog runs", "choices": ["noun", "verb", "adjective"]}
                {"input": "a red house", "choices": ["noun", "verb", "adjective"], "label": "adjective"}
                """);
        assertEquals("its library is retrievable within a second", EXPERT + "@1.0.0", retrieved(Duration.ofSeconds(1), "1.0.0"));
        JsonNode generated = ask("elm:ask --json " + EXPERT + " 'the dog runs'");
        assertEquals("with no choices the expert generates", EXPERT + "@1.0.0", generated.path("model").asText());
        assertTrue(generated.toString(), generated.path("output").isTextual());
        failsWith("elm:ask " + EXPERT + " 'the dog runs' noun", "needs two or more choices to score, or none to generate");
        failsWith("elm:ask no-such-expert 'the dog runs' a b", "no version of expert no-such-expert is installed");
        Map<String, List<Double>> reference = new ConcurrentHashMap<>();
        reference.put(EXPERT + "@1.0.0", scores(first));

        refusesBadBundlesWhileTheGoodOneAnswers(v1, encoder);

        // Upgrade, rollback, pin, unpin.
        JsonNode upgraded = ask("elm:upgrade --json " + EXPERT + " " + v2).path("expert");
        assertEquals("1.1.0", upgraded.path("version").asText());
        assertTrue(upgraded.path("active").asBoolean());
        JsonNode second = ask(ASK);
        assertEquals(EXPERT + "@1.1.0", second.path("model").asText());
        assertEquals("retrieval follows the active version", EXPERT + "@1.1.0", retrieved(Duration.ofSeconds(5), "1.1.0"));
        reference.put(EXPERT + "@1.1.0", scores(second));
        assertNotEquals("the two versions answer differently, so an answer shows which one gave it", reference.get(EXPERT + "@1.0.0"),
                reference.get(EXPERT + "@1.1.0"));
        assertEquals(List.of("1.0.0 installed", "1.1.0 installed active"), versions());
        assertEquals("1.0.0", ask("elm:rollback --json " + EXPERT).path("expert").path("version").asText());
        assertEquals(EXPERT + "@1.0.0", ask(ASK).path("model").asText());
        assertEquals(EXPERT + "@1.0.0", retrieved(Duration.ofSeconds(5), "1.0.0"));
        Path retired = elm.work.resolve("registry").resolve("retired").resolve(v2.getFileName());
        assertTrue("the rolled-back version is kept in " + retired, Files.isRegularFile(retired));
        assertEquals(List.of("1.0.0 installed active"), versions());
        failsWith("elm:rollback " + EXPERT, "the only version of " + EXPERT + " installed");
        failsWith("elm:upgrade " + EXPERT + " " + v1, "an upgrade must bring a higher version");

        ask("elm:upgrade --json " + EXPERT + " " + retired);
        assertTrue(ask("elm:pin --json " + EXPERT + " 1.0.0").path("expert").path("pinned").asBoolean());
        assertEquals(EXPERT + "@1.0.0", ask(ASK).path("model").asText());
        assertEquals(List.of("1.0.0 installed active pinned", "1.1.0 installed"), versions());
        failsWith("elm:rollback " + EXPERT, "is pinned at 1.0.0");
        failsWith("elm:pin " + EXPERT + " 9.0.0", "expert " + EXPERT + "@9.0.0 is installed; installed versions: 1.0.0, 1.1.0");

        // A restart keeps the pin, and then the active version.
        restart();
        awaitBundle(EXPERT, "1.1.0", Duration.ofSeconds(30));
        assertEquals(List.of("1.0.0 installed active pinned", "1.1.0 installed"), versions());
        assertEquals(EXPERT + "@1.0.0", ask(ASK).path("model").asText());
        assertEquals("1.1.0", ask("elm:unpin --json " + EXPERT).path("expert").path("version").asText());
        assertEquals(EXPERT + "@1.1.0", ask(ASK).path("model").asText());
        ask("elm:rollback --json " + EXPERT);
        restart();
        awaitBundle(EXPERT, "1.0.0", Duration.ofSeconds(30));
        assertEquals(List.of("1.0.0 installed active"), versions());

        upgradesUnderLoad(retired, reference);
    }

    /** Trains a small Prompt Expert of this version (the seed makes the versions differ) and packages it. */
    private Path trainAndPackage(String version, int seed) throws Exception {
        return elm.trainFixtureExpert("brown-pos/word-pos", EXPERT, version, "[\"cross\"]", 0, 2, seed);
    }

    private void refusesBadBundlesWhileTheGoodOneAnswers(Path good, String encoder) throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        byte[] bytes = Files.readAllBytes(good);
        Files.write(scratch.resolve("t.partial"), Arrays.copyOf(bytes, bytes.length / 2));
        Files.move(scratch.resolve("t.partial"), elm.deploy.resolve("truncated-1.0.0.jar"));
        expected.put("truncated-1.0.0", "is not a readable jar");

        ExpertJar malformed = variant(good, "malformed-json");
        malformed.entries.put("expert.json", "{\"format\": \"elm-expert/1\", \"id\": ".getBytes(StandardCharsets.UTF_8));
        deploy(malformed, "malformed-json", expected, "is not valid JSON");

        ExpertJar format = variant(good, "unknown-format");
        deploy(format.description(format.description().put("format", "elm-expert/99")), "unknown-format", expected,
                "elm-expert/99");

        ExpertJar base = variant(good, "wrong-base");
        deploy(base.description(base.description().put("baseSha256", "0".repeat(64))), "wrong-base", expected,
                "with sha256 " + "0".repeat(64) + ", but the installed one has");

        ExpertJar shape = variant(good, "wrong-shape");
        AdapterTensors tensors = shape.tensors("adapter.safetensors");
        String flattened = tensors.names().stream().filter(n -> tensors.shape(n).length > 1).findFirst().orElseThrow();
        AdapterTensors.Builder reshaped = AdapterTensors.builder();
        tensors.metadata().forEach(reshaped::metadata);
        for (String name : tensors.names()) {
            long[] s = tensors.shape(name);
            reshaped.put(name, name.equals(flattened) ? new long[] {AdapterTensors.count(s)} : s, tensors.values(name));
        }
        AdapterTensors wrongShape = reshaped.build();
        shape.tensors("adapter.safetensors", wrongShape);
        deploy(shape.description(shape.description().put("sha256", wrongShape.sha256())), "wrong-shape", expected,
                "tensor '" + flattened + "' has shape [" + AdapterTensors.count(tensors.shape(flattened)) + "]; expected "
                        + Arrays.toString(tensors.shape(flattened)));

        ExpertJar digest = variant(good, "wrong-digest");
        deploy(digest.tensors("adapter.safetensors", changed(tensors)), "wrong-digest", expected,
                "the tensors were changed or corrupted");

        ExpertJar code = variant(good, "with-class");
        code.entries.put("org/example/Evil.class", new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
        deploy(code, "with-class", expected, "holds code (/org/example/Evil.class)");

        ExpertJar activator = variant(good, "with-activator");
        activator.main().putValue("Bundle-Activator", "org.example.Main");
        deploy(activator, "with-activator", expected, "has Bundle-Activator");

        ExpertJar oversize = variant(good, "oversize");
        oversize.entries.put("adapter.safetensors", new byte[(64 << 20) + 1]);
        deploy(oversize, "oversize", expected, "an expert bundle's tensors may be at most " + (64 << 20));

        ExpertJar zero = variant(good, "zero-vector");
        AdapterTensors shipped = zero.tensors("library.safetensors");
        float[] zeroed = shipped.values("vectors").clone();
        Arrays.fill(zeroed, 0, (int) shipped.shape("vectors")[1], 0f);
        AdapterTensors.Builder withZero = AdapterTensors.builder().put("vectors", shipped.shape("vectors"), zeroed);
        shipped.metadata().forEach(withZero::metadata);
        deploy(zero.tensors("library.safetensors", withZero.build()), "zero-vector", expected,
                "the vector of library instance 0 has length 0.0; expected a finite, non-zero sentence vector");

        // The same id@version as the installed expert, other tensors: refused, saying which one came first.
        ExpertJar twin = ExpertJar.read(good);
        AdapterTensors other = changed(tensors);
        twin.tensors("adapter.safetensors", other);
        twin.description(twin.description().put("sha256", other.sha256())).writeInto(elm.deploy, "twin.jar", scratch);

        // Not bad: a library whose vectors another encoder made is accepted, its vectors recomputed.
        ExpertJar foreign = variant(good, "foreign-library");
        AdapterTensors vectors = foreign.tensors("library.safetensors");
        AdapterTensors.Builder retagged = AdapterTensors.builder().put("vectors", vectors.shape("vectors"), vectors.values("vectors"));
        vectors.metadata().forEach((k, v) -> retagged.metadata(k, k.equals("encoder") ? "another-encoder" : v));
        foreign.tensors("library.safetensors", retagged.build()).writeInto(elm.deploy, "foreign-library-1.0.0.jar", scratch);

        for (Map.Entry<String, String> e : expected.entrySet()) {
            JsonNode refused = awaitBundle(e.getKey(), "", Duration.ofSeconds(60), e.getKey().startsWith("truncated") ? null : "");
            assertEquals(refused.toString(), "refused", refused.path("state").asText());
            assertTrue(e.getKey() + " is refused saying " + e.getValue() + ": " + refused, refused.path("reason").asText()
                    .contains(e.getValue()));
            JsonNode info = ask("elm:info --json " + e.getKey()).path("bundle");
            assertEquals(refused.path("reason").asText(), info.path("reason").asText());
        }
        JsonNode twinState = awaitBundle(EXPERT, "1.0.0", Duration.ofSeconds(60), "twin.jar");
        assertEquals(twinState.toString(), "refused", twinState.path("state").asText());
        assertTrue(twinState.toString(), twinState.path("reason").asText().contains(EXPERT + "@1.0.0 is already installed from ")
                && twinState.path("reason").asText().contains("with other content"));

        JsonNode accepted = awaitBundle("foreign-library", "1.0.0", Duration.ofSeconds(30));
        assertEquals(accepted.toString(), "installed", accepted.path("state").asText());
        String library = ask("elm:info --json foreign-library").path("bundle").path("library").asText();
        assertTrue(library, library.contains("vectors of " + encoder) && library.contains("recomputed at install")
                && library.contains("another-encoder"));

        assertEquals("the good expert kept answering", EXPERT + "@1.0.0", ask(ASK).path("model").asText());
        assertEquals("and is still the one active", List.of("1.0.0 installed active", "1.0.0 refused"), versions());
        try (var files = Files.list(elm.deploy)) {
            for (Path p : files.filter(p -> !p.getFileName().equals(good.getFileName())).toList()) {
                Files.delete(p);
            }
        }
        for (long end = System.nanoTime() + 30_000_000_000L; ask("elm:list --json").path("experts").size() > 1 && System.nanoTime() < end;) {
            Thread.sleep(100);
        }
        assertEquals("removed from the deploy folder, the refusals go: " + ask("elm:list --json"), 1,
                ask("elm:list --json").path("experts").size());
    }

    /** Two clients ask without pause while the expert is upgraded and rolled back 100 times each. */
    private void upgradesUnderLoad(Path v2, Map<String, List<Double>> reference) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            Thread client = new Thread(() -> {
                while (running.get()) {
                    try {
                        JsonNode answer = ask(ASK);
                        String model = answer.path("model").asText();
                        if (!scores(answer).equals(reference.get(model))) {
                            failures.add("an answer named " + model + " but its scores " + scores(answer) + " are not that version's "
                                    + reference);
                        }
                        answers.merge(model, 1, Integer::sum);
                    } catch (Throwable e) {
                        failures.add(e.toString());
                    }
                }
            }, "client-" + c);
            client.start();
            clients.add(client);
        }
        try {
            for (int i = 0; i < 100; i++) {
                assertEquals("1.1.0", ask("elm:upgrade --json " + EXPERT + " " + v2).path("expert").path("version").asText());
                assertEquals("1.0.0", ask("elm:rollback --json " + EXPERT).path("expert").path("version").asText());
            }
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join();
            }
        }
        System.out.println("answers during 100 upgrades and 100 rollbacks: " + answers);
        assertEquals("no request failed, none answered by a version it did not name", List.of(), failures);
        assertTrue("both versions answered: " + answers, answers.size() == 2 && answers.values().stream().allMatch(n -> n > 0));
    }

    private void restart() throws Exception {
        elm.stopDaemon();
        start();
    }

    private ExpertJar variant(Path good, String id) throws Exception {
        return ExpertJar.read(good).renamed(EXPERT, id);
    }

    private void deploy(ExpertJar jar, String id, Map<String, String> expected, String reason) throws Exception {
        jar.writeInto(elm.deploy, id + "-1.0.0.jar", scratch);
        expected.put(id, reason);
    }

    private static AdapterTensors changed(AdapterTensors tensors) {
        AdapterTensors.Builder b = AdapterTensors.builder();
        tensors.metadata().forEach(b::metadata);
        for (String name : tensors.names()) {
            float[] v = tensors.values(name);
            v[0] += 1;
            b.put(name, tensors.shape(name), v);
        }
        return b.build();
    }

    private static List<Double> scores(JsonNode answer) {
        List<Double> scores = new ArrayList<>();
        answer.path("choices").forEach(c -> scores.add(c.path("score").asDouble()));
        return scores;
    }

    /** The expert elm:retrieve chooses for the scratch task once it is of {@code version} (or when time is up). */
    private String retrieved(Duration limit, String version) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String command = "elm:retrieve --json " + scratch.resolve("task.jsonl");
        JsonNode chosen = null;
        do {
            // Until the library is indexed the retrieval may fail (an empty library) or find the version before.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            if (ConsoleClient.run(elm.work.resolve("run").resolve("console.sock"), command, Duration.ofSeconds(60),
                    new PrintStream(out, true, StandardCharsets.UTF_8), quiet) == 0) {
                chosen = ElmScript.singleJsonDocument(out.toString(StandardCharsets.UTF_8)).path("experts").path(0);
                if (chosen.path("version").asText().equals(version)) {
                    break;
                }
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertTrue(command + " never answered within " + limit, chosen != null);
        assertEquals(chosen.toString(), 2, chosen.path("votes").asInt());
        return chosen.path("expertId").asText() + "@" + chosen.path("version").asText();
    }

    private List<String> versions() throws Exception {
        List<String> versions = new ArrayList<>();
        ask("elm:info --json " + EXPERT).path("versions").forEach(v -> versions.add(v.asText()));
        return versions;
    }

    private JsonNode ask(String commands) throws Exception {
        return elm.console(commands);
    }

    private void failsWith(String commands, String message) throws Exception {
        elm.consoleFails(commands, message);
    }

    private JsonNode awaitBundle(String id, String version, Duration limit) throws Exception {
        return awaitBundle(id, version, limit, null);
    }

    /**
     * The bundle elm:list shows for {@code id} (and version, when given), once it shows it; with {@code file}, only
     * a bundle installed from a location ending so (FileInstall works through the folder one jar after the other:
     * until it reaches one, the deployment monitor shows it as not installed).
     */
    private JsonNode awaitBundle(String id, String version, Duration limit, String file) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        do {
            for (JsonNode b : ask("elm:list --json").path("experts")) {
                if (b.path("id").asText().equals(id) && (version.isEmpty() || b.path("version").asText().equals(version))
                        && (file == null || b.path("bundleId").asLong() >= 0 && b.path("location").asText().endsWith(file))) {
                    return b;
                }
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("elm:list did not show " + id + " " + version + " within " + limit + ": " + ask("elm:list --json"));
    }
}
