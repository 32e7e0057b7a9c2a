package org.expertlm.engine.train;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class LmAdaptationTest {

    /** Two graphs side by side, as the engine runs them on two cores. */
    private static final SideBySide WORKERS = new SideBySide(2);

    private static MiniLmModel encoder;
    private static List<String> corpus;

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @BeforeClass
    public static void load() {
        encoder = MiniLmFiles.model(2);
        String[] words = "the cat sat on a mat while her dog ran to the park and back home again".split(" ");
        Random random = new Random(3);
        corpus = new ArrayList<>();
        for (int d = 0; d < 40; d++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 60; w++) {
                text.append(words[random.nextInt(words.length)]).append(' ');
            }
            corpus.add(text.toString());
        }
    }

    @AfterClass
    public static void close() {
        encoder.close();
    }

    private static LmAdaptation.Settings settings(int steps) {
        return new LmAdaptation.Settings("tiny", 1, 2, 32, 40, 8, 6, 4, steps, 3e-3, 2, 0.01, 1.0, 5, 2, 1, 8);
    }

    @Test
    public void learnsTheCorpusAndWritesAModelWhoseDigestItChecks() throws IOException {
        List<String> lines = new ArrayList<>();
        LmAdaptation.Result result = LmAdaptation.run(settings(12), encoder, WORKERS, corpus, Set.of("positive"),
                folder.getRoot().toPath().resolve("a"), lines::add, () -> false);

        assertTrue("the held-out loss is below that of a uniform guess over 40 tokens: " + result.heldOutLoss(),
                result.heldOutLoss() < Math.log(40));
        assertTrue(lines.get(0), lines.get(0).startsWith("corpus: 40 documents"));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("step 12/12")));
        BaseModel read = BaseModel.read(result.folder());
        assertEquals(result.model().id(), read.id());
        assertTrue(read.id().startsWith("tiny@sha256:"));
        assertEquals(encoder.id(), read.encoderId());
        assertEquals(12, read.provenance().path("steps").asInt());
        int positive = encoder.tokenizer().tokenId("positive");
        assertTrue("a forced answer word is in the output vocabulary, however rare",
                java.util.Arrays.stream(read.config().vocabulary()).anyMatch(id -> id == positive));
        assertFalse("the checkpoint is gone once the model is written",
                Files.exists(result.folder().resolve("checkpoints")));

        Path tensors = result.folder().resolve(BaseModel.TENSORS);
        byte[] bytes = Files.readAllBytes(tensors);
        bytes[bytes.length - 1] ^= 1;
        Files.write(tensors, bytes);
        try {
            BaseModel.read(result.folder());
            fail("a changed tensor file was read");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("SHA-256"));
        }
    }

    @Test
    public void anInterruptedRunResumesToTheSameModelAsAnUninterruptedOne() throws IOException {
        Path whole = folder.getRoot().toPath().resolve("whole");
        String expected = LmAdaptation.run(settings(8), encoder, WORKERS, corpus, Set.of(), whole, line -> { }, () -> false).model().id();
        assertEquals("the same settings and corpus give the same weights", expected,
                LmAdaptation.run(settings(8), encoder, WORKERS, corpus, Set.of(), folder.getRoot().toPath().resolve("again"),
                        line -> { }, () -> false).model().id());

        Path interrupted = folder.getRoot().toPath().resolve("interrupted");
        try {
            LmAdaptation.run(settings(8), encoder, WORKERS, corpus, Set.of(), interrupted, line -> {
                if (line.startsWith("step 5/")) {
                    throw new IllegalStateException("stopped");
                }
            }, () -> false);
            fail("the run was not interrupted");
        } catch (IllegalStateException e) {
            assertEquals("stopped", e.getMessage());
        }
        assertTrue(Files.isDirectory(interrupted.resolve("checkpoints").resolve("step-4")));
        List<String> lines = new ArrayList<>();
        String resumed = LmAdaptation.run(settings(8), encoder, WORKERS, corpus, Set.of(), interrupted, lines::add, () -> false)
                .model().id();
        assertTrue(lines.toString(), lines.contains("resuming from step 4 of 8"));
        assertEquals(expected, resumed);

        // Cancelled after step 3 (between checkpoints): it writes one there, and the same call resumes from it.
        Path cancelled = folder.getRoot().toPath().resolve("cancelled");
        java.util.concurrent.atomic.AtomicBoolean cancel = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CancellationException stopped = assertThrows(java.util.concurrent.CancellationException.class,
                () -> LmAdaptation.run(settings(8), encoder, WORKERS, corpus, Set.of(), cancelled, line -> {
                    if (line.startsWith("step 3/")) {
                        cancel.set(true);
                    }
                }, cancel::get));
        assertTrue(stopped.getMessage(), stopped.getMessage().contains("cancelled after step 3"));
        lines.clear();
        assertEquals(expected, LmAdaptation.run(settings(8), encoder, WORKERS, corpus, Set.of(), cancelled, lines::add, () -> false)
                .model().id());
        assertTrue(lines.toString(), lines.contains("resuming from step 3 of 8"));
    }

    @Test
    public void aCheckpointOfAnotherRunIsRefused() throws IOException {
        Path out = folder.getRoot().toPath().resolve("other");
        try {
            LmAdaptation.run(settings(8), encoder, WORKERS, corpus, Set.of(), out, line -> {
                if (line.startsWith("step 3/")) {
                    throw new IllegalStateException("stopped");
                }
            }, () -> false);
        } catch (IllegalStateException expected) {
            // leaves the checkpoint of step 2
        }
        try {
            LmAdaptation.run(settings(9), encoder, WORKERS, corpus, Set.of(), out, line -> { }, () -> false);
            fail("resumed another run's checkpoint");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("another training run"));
        }
    }

    @Test
    public void aConfigurationWithAMisspelledOrMissingFieldIsRefusedWithItsName() throws IOException {
        Path file = folder.getRoot().toPath().resolve("bad.json");
        String valid = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(settings(4));
        Files.writeString(file, valid.replace("{", "{\"layerz\": 2, "));
        try {
            LmAdaptation.Settings.read(file);
            fail("read a configuration with an unknown field");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("layerz") && e.getMessage().contains("configs/train/base.json"));
        }
        Files.writeString(file, "{\"name\": \"x\"}");
        try {
            LmAdaptation.Settings.read(file);
            fail("read a configuration without its fields");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("not a valid training configuration") && e.getMessage().contains("layers"));
        }
    }
}
