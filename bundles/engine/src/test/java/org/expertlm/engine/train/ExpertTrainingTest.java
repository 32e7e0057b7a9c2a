package org.expertlm.engine.train;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.encoder.MiniLmEncoder;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.DecoderBlocks;
import org.expertlm.engine.graph.EncoderLayers;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.AnswerFormat;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ScoringInput;
import org.expertlm.engine.lm.ExpertFiles;
import org.expertlm.engine.lm.LoadedModel;
import org.expertlm.engine.lm.RankClassifier;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.HalfMatrix;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** An expert learns a small task over a small base model; the encoder's trainable top layers equal the encoder. */
public class ExpertTrainingTest {

    /** Two graphs side by side, as the engine runs them on two cores. */
    private static final SideBySide WORKERS = new SideBySide(2);

    @ClassRule
    public static TemporaryFolder folder = new TemporaryFolder();

    private static MiniLmModel encoder;
    private static BaseModel base;

    @BeforeClass
    public static void trainSmallBase() throws IOException {
        encoder = MiniLmFiles.model(2);
        List<String> corpus = new ArrayList<>();
        Random random = new Random(1);
        String[] words = "the film was good bad great awful movie story acting plot and but with".split(" ");
        for (int d = 0; d < 100; d++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 60; w++) {
                text.append(words[random.nextInt(words.length)]).append(' ');
            }
            corpus.add(text.toString());
        }
        LmAdaptation.Settings settings = new LmAdaptation.Settings("small", 1, 2, 32, 30, 8, 6, 4, 4, 3e-3, 1, 0.0, 1.0,
                5, 4, 4, 4);
        base = LmAdaptation.run(settings, encoder, WORKERS, corpus, Set.of("positive", "negative"), folder.getRoot().toPath()
                .resolve("base"), line -> { }, () -> false).model();
    }

    @AfterClass
    public static void close() {
        encoder.close();
    }

    @Test
    public void anExpertOverTheEncodersTopLayerLearnsASmallSentimentTaskAndScoresAsItWasValidated() throws IOException {
        List<ExpertTraining.Example> train = sentiment(false);
        List<ExpertTraining.Example> validation = sentiment(true);
        ExpertSettings settings = new ExpertSettings(false, Set.of("cross", "ffn"), 32, Set.of(), 8, 16, 1,
                30, 4, 1e-2, 4, 0.0, 1.0, 3, 30, 1000, 1000);
        List<String> lines = new ArrayList<>();
        ExpertTraining.Result result = ExpertTraining.train(settings, base, encoder, WORKERS, train, validation,
                folder.getRoot().toPath().resolve("sentiment-checkpoints"), lines::add, () -> false);

        assertTrue(lines.toString(), result.validationScore() >= 0.95);
        assertTrue("only adapter tensors are trained: " + result.tensors().keySet(), result.tensors().keySet().stream()
                .allMatch(n -> n.contains(".adapter.") || n.contains(".lora_")));
        assertTrue(result.tensors().keySet().stream().anyMatch(n -> n.startsWith("encoder.layer.5.attention.self.query.lora")));

        Path out = folder.getRoot().toPath().resolve("expert");
        AdapterTensors tensors = ExpertFiles.tensors(result.tensors());
        ExpertDescriptor descriptor = new ExpertDescriptor("sentiment-test", "1.0.0", "test/sentiment", List.of("test/sentiment"),
                ExpertKind.PROMPT, base.ref(), settings.plan().config(), AnswerFormat.choices(List.of("positive", "negative")),
                tensors.sha256(), "{}");
        ExpertFiles.write(out, descriptor, tensors);
        ExpertFiles.Stored stored = ExpertFiles.read(out);
        assertEquals("the description reads back as written", descriptor, stored.descriptor());
        int right = 0;
        try (LoadedModel expert = LoadedModel.expert(base, stored.descriptor(), stored.tensors(), encoder, WORKERS)) {
            List<double[]> scores = expert.score(validation.stream()
                    .map(e -> new ScoringInput(e.input(), e.choices())).toList(), false);
            for (int i = 0; i < validation.size(); i++) {
                right += RankClassifier.best(scores.get(i)) == validation.get(i).gold() ? 1 : 0;
            }
        }
        assertEquals("the written expert scores as it did in validation", result.validationScore(),
                right / (double) validation.size(), 1e-9);
    }

    /** A small sentiment task: four reviews of each kind in three frames to train on, one of each to validate. */
    private static List<ExpertTraining.Example> sentiment(boolean validation) {
        String[] good = {"a wonderful, moving film", "great acting and a lovely story", "I loved this delightful movie",
            "a brilliant and joyful picture", "superb, charming and funny"};
        String[] bad = {"a dull, boring film", "awful acting and a stupid story", "I hated this tedious movie",
            "a terrible and painful picture", "dreadful, ugly and lifeless"};
        List<ExpertTraining.Example> examples = new ArrayList<>();
        for (int i = validation ? 4 : 0; i < (validation ? 5 : 4); i++) {
            for (String frame : List.of("Review: %s. Is it positive or negative?", "%s -- positive or negative?",
                    "Sentiment of \"%s\"?")) {
                examples.add(new ExpertTraining.Example(String.format(frame, good[i]), List.of("positive", "negative"), 0));
                examples.add(new ExpertTraining.Example(String.format(frame, bad[i]), List.of("positive", "negative"), 1));
            }
        }
        return examples;
    }

    @Test
    public void anInterruptedRunResumesToTheSameExpertAsAnUninterruptedOne() throws IOException {
        List<ExpertTraining.Example> train = sentiment(false);
        List<ExpertTraining.Example> validation = sentiment(true);
        ExpertSettings settings = new ExpertSettings(false, Set.of("cross"), 32, Set.of(), 8, 16, 1, 3, 4,
                1e-2, 2, 0.0, 1.0, 5, 3, 1000, 2);
        Path root = folder.getRoot().toPath();
        ExpertTraining.Result whole = ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, root.resolve("whole"),
                line -> { }, () -> false);

        Path interrupted = root.resolve("interrupted");
        try {
            ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, interrupted, line -> {
                if (line.startsWith("epoch 2/3  step ")) {
                    throw new IllegalStateException("stopped");
                }
            }, () -> false);
            fail("the run was not interrupted");
        } catch (IllegalStateException e) {
            assertEquals("stopped", e.getMessage());
        }
        List<String> lines = new ArrayList<>();
        ExpertTraining.Result resumed = ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, interrupted, lines::add,
                () -> false);
        assertTrue(lines.toString(), lines.stream().anyMatch(l -> l.matches("resuming from step \\d+ \\(epoch 2, batch \\d+\\)")));
        assertEquals("the same tensors", whole.tensors(), resumed.tensors());
        assertEquals(whole.steps(), resumed.steps());
        assertEquals(whole.bestEpoch(), resumed.bestEpoch());
        assertEquals(whole.validationScore(), resumed.validationScore(), 0);
        assertEquals("the same losses and accuracies", withoutTimings(whole.history()), withoutTimings(resumed.history()));

        lines.clear();
        assertEquals("a run that had ended gives its result again", whole.tensors(),
                ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, interrupted, lines::add, () -> false).tensors());
        assertTrue(lines.toString(), lines.contains("resuming a run whose training had ended (best epoch " + whole.bestEpoch() + ")"));

        ExpertSettings otherSeed = new ExpertSettings(false, Set.of("cross"), 32, Set.of(), 8, 16, 1, 3, 4,
                1e-2, 2, 0.0, 1.0, 6, 3, 1000, 2);
        IOException refused = assertThrows(IOException.class,
                () -> ExpertTraining.train(otherSeed, base, encoder, WORKERS, train, validation, interrupted, line -> { }, () -> false));
        assertTrue(refused.getMessage(), refused.getMessage().contains("checkpoint of another training run"));
        ExpertTraining.removeCheckpoints(interrupted);
        assertFalse(Files.exists(interrupted));
    }

    @Test
    public void aRunStartedFromAnExpertsTensorsStartsWhereThatExpertEnded() throws IOException {
        List<ExpertTraining.Example> train = sentiment(false);
        List<ExpertTraining.Example> validation = sentiment(true);
        ExpertSettings settings = new ExpertSettings(false, Set.of("cross"), 32, Set.of(), 8, 16, 1, 3, 4,
                1e-2, 2, 0.0, 1.0, 5, 3, 1000, 1000);
        Path root = folder.getRoot().toPath();
        ExpertTraining.Result first = ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, root.resolve("first"),
                line -> { }, () -> false);
        // So small a learning rate that a step moves no weight visibly: what comes out is what went in.
        ExpertSettings still = new ExpertSettings(false, Set.of("cross"), 32, Set.of(), 8, 16, 1, 1, 4,
                1e-12, 2, 0.0, 1.0, 5, 3, 1000, 1000);
        ExpertTraining.Result further = ExpertTraining.train(still, base, encoder, WORKERS, train, validation, first.tensors(),
                root.resolve("further"), line -> { }, () -> false);
        assertEquals(String.format("epoch 0 (as started from)  validation accuracy %.4f", first.validationScore()),
                further.history().get(0));
        for (String name : first.tensors().keySet()) {
            assertArrayEquals(name, first.tensors().get(name).values(), further.tensors().get(name).values(), 1e-6f);
        }
        ExpertTraining.Result freshStill = ExpertTraining.train(still, base, encoder, WORKERS, train, validation,
                root.resolve("fresh-still"), line -> { }, () -> false);
        String someName = first.tensors().keySet().stream().filter(n -> n.endsWith("weight")).findFirst().orElseThrow();
        assertFalse("without them it starts fresh", Arrays.equals(first.tensors().get(someName).values(),
                freshStill.tensors().get(someName).values()));

        Map<String, FloatTensor> extra = new TreeMap<>(first.tensors());
        extra.put("decoder.layer.9.nothing.weight", new FloatTensor(new long[] {1}, new float[] {0}));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> ExpertTraining.train(still, base,
                encoder, WORKERS, train, validation, extra, root.resolve("refused"), line -> { }, () -> false));
        assertTrue(refused.getMessage(), refused.getMessage().contains("the same adapter places and sizes"));
        Map<String, FloatTensor> lacking = new TreeMap<>(first.tensors());
        lacking.remove(someName);
        refused = assertThrows(IllegalArgumentException.class, () -> ExpertTraining.train(still, base,
                encoder, WORKERS, train, validation, lacking, root.resolve("refused-2"), line -> { }, () -> false));
        assertTrue(refused.getMessage(), refused.getMessage().contains("lack '" + someName + "'"));
    }

    @Test
    public void aCancelledRunStopsAfterItsStepWithACheckpointAndResumesToTheSameExpert() throws IOException {
        List<ExpertTraining.Example> train = sentiment(false);
        List<ExpertTraining.Example> validation = sentiment(true);
        // A checkpoint every 1000 steps: the one a cancel leaves is the cancel's own.
        ExpertSettings settings = new ExpertSettings(false, Set.of("cross"), 32, Set.of(), 8, 16, 1, 2, 4,
                1e-2, 2, 0.0, 1.0, 5, 2, 1000, 1000);
        Path root = folder.getRoot().toPath();
        ExpertTraining.Result whole = ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, root.resolve("whole-2"),
                line -> { }, () -> false);

        Path cancelled = root.resolve("cancelled");
        // Asked from the first step on (the untrained model's line comes just before it), it says yes at the third.
        AtomicBoolean stepping = new AtomicBoolean();
        AtomicInteger asked = new AtomicInteger();
        CancellationException stopped = assertThrows(CancellationException.class,
                () -> ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, cancelled,
                        line -> stepping.compareAndSet(false, line.startsWith("epoch 0 (untrained)")),
                        () -> stepping.get() && asked.incrementAndGet() >= 3));
        assertTrue(stopped.getMessage(), stopped.getMessage().contains("cancelled after step 3"));
        assertTrue("the cancel left its checkpoint", Files.isDirectory(cancelled.resolve("step-3")));
        List<String> lines = new ArrayList<>();
        ExpertTraining.Result resumed = ExpertTraining.train(settings, base, encoder, WORKERS, train, validation, cancelled, lines::add,
                () -> false);
        assertTrue(lines.toString(), lines.stream().anyMatch(l -> l.startsWith("resuming from step 3 ")));
        assertEquals("the same tensors", whole.tensors(), resumed.tensors());
        assertEquals(whole.steps(), resumed.steps());
    }

    @Test
    public void aGenerationExpertLearnsToWriteItsTargetsAndIsValidatedByRougeL() throws IOException {
        List<ExpertTraining.Example> train = sentiment(false).stream()
                .map(e -> ExpertTraining.Example.generation(e.input(), e.choices().get(e.gold()))).toList();
        List<ExpertTraining.Example> validation = sentiment(true).stream()
                .map(e -> ExpertTraining.Example.generation(e.input(), e.choices().get(e.gold()))).toList();
        ExpertSettings settings = new ExpertSettings(false, Set.of("cross", "ffn"), 32, Set.of(), 8, 16, 1,
                30, 4, 1e-2, 4, 0.0, 1.0, 3, 30, 1000, 1000);
        List<String> lines = new ArrayList<>();
        ExpertTraining.Result result = ExpertTraining.train(settings, base, encoder, WORKERS, train, validation,
                folder.getRoot().toPath().resolve("generation-checkpoints"), lines::add, () -> false);
        assertEquals(ExpertTraining.ROUGE_L, result.metric());
        assertTrue(lines.toString(), lines.stream().anyMatch(l -> l.startsWith("epoch 0 (untrained)  validation rougeL ")));
        double firstLoss = Double.parseDouble(result.history().get(1).replaceAll(".*  loss ([0-9.]+) .*", "$1"));
        double lastLoss = Double.parseDouble(result.history().get(result.history().size() - 1)
                .replaceAll(".*  loss ([0-9.]+) .*", "$1"));
        assertTrue("the LM loss of the targets falls: " + lines, lastLoss < firstLoss / 2);

        // The score that chose the epoch is the ROUGE-L of what the written expert generates.
        Path out = folder.getRoot().toPath().resolve("generation-expert");
        AdapterTensors tensors = ExpertFiles.tensors(result.tensors());
        ExpertDescriptor descriptor = new ExpertDescriptor("generation-test", "1.0.0", "test/write", List.of("test/write"),
                ExpertKind.PROMPT, base.ref(), settings.plan().config(), AnswerFormat.generated(), tensors.sha256(), "{}");
        ExpertFiles.write(out, descriptor, tensors);
        double sum = 0;
        try (LoadedModel expert = LoadedModel.expert(base, descriptor, tensors, encoder, WORKERS)) {
            for (ExpertTraining.Example e : validation) {
                sum += org.expertlm.api.TextMetrics.rougeL(expert.generate(e.input(), 1, base.config().maxLength() - 1),
                        e.choices().get(0));
            }
        }
        assertEquals(result.validationScore(), sum / validation.size(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> ExpertTraining.train(settings, base, encoder, WORKERS,
                List.of(train.get(0), sentiment(false).get(0)), validation, folder.getRoot().toPath().resolve("mixed"),
                line -> { }, () -> false));
    }

    @Test
    public void settingsWriteTheirAdapterPlacesInOneOrder() {
        ExpertSettings settings = new ExpertSettings(false, new LinkedHashSet<>(List.of("self", "ffn", "cross")),
                32, Set.of("self", "cross"), 8, 16, 1, 3, 4, 1e-2, 2, 0.0, 1.0, 5, 3, 1000, 2);
        JsonNode json = new ObjectMapper().valueToTree(settings);
        assertEquals("a resumed run in another JVM must describe itself alike", "[\"cross\",\"ffn\",\"self\"]",
                json.path("houlsby").toString());
        assertEquals("[\"cross\",\"self\"]", json.path("lora").toString());
    }

    private static List<String> withoutTimings(List<String> history) {
        return history.stream().map(line -> line.replaceAll("  [0-9.]+ s  memory \\d+ MB", "")).toList();
    }

    @Test
    public void theEncodersTopLayersAsATrainableGraphEqualTheEncoderBeforeTraining() {
        List<int[]> sentences = List.of(encoder.tokenizer().encode("The encoder's last layers, rebuilt for training."),
                encoder.tokenizer().encode("A shorter one."));
        List<float[][]> below = encoder.encoder().tokenStates(sentences, 4);
        List<float[][]> top = encoder.encoder().tokenStates(sentences, MiniLmEncoder.LAYERS);
        int length = below.get(0).length;
        float[][][] states = new float[2][length][];
        float[][][][] bias = new float[2][1][1][length];
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < length; t++) {
                states[b][t] = t < below.get(b).length ? below.get(b)[t] : new float[MiniLmEncoder.HIDDEN];
                bias[b][0][0][t] = t < below.get(b).length ? 0 : (float) DecoderBlocks.MASKED;
            }
        }
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("states", DataType.FLOAT, -1, -1, MiniLmEncoder.HIDDEN);
        SDVariable mask = sd.placeHolder("bias", DataType.FLOAT, -1, 1, 1, -1);
        AdapterPlan plan = new AdapterPlan(Set.of(), 32, Set.of(), 4, 8, 2, 3);
        EncoderLayers.top(sd, in, mask, encoder.weights(), 4, plan, DataType.FLOAT).rename("out");
        INDArray out = sd.output(Map.of("states", Nd4j.createFromArray(states), "bias", Nd4j.createFromArray(bias)), "out")
                .get("out");
        for (int b = 0; b < 2; b++) {
            for (int t = 0; t < top.get(b).length; t++) {
                float[] row = out.get(org.nd4j.linalg.indexing.NDArrayIndex.point(b),
                        org.nd4j.linalg.indexing.NDArrayIndex.point(t)).toFloatVector();
                for (int d = 0; d < row.length; d++) {
                    assertEquals("sentence " + b + " token " + t, top.get(b)[t][d], row[d], 1e-4);
                }
            }
        }
    }

    @Test
    public void anAdapterPlanWithoutAdaptersOrWithUnknownPlacesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AdapterPlan(Set.of(), 32, Set.of(), 4, 8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new AdapterPlan(Set.of("output"), 32, Set.of(), 4, 8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new AdapterPlan(Set.of(), 32, Set.of("ffn"), 4, 8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new AdapterPlan(Set.of(), 32, Set.of(), 4, 8, 7, 1));
        assertArrayEquals(new Object[] {"cross", "self"}, new AdapterPlan(Set.of("self", "cross"), 32, Set.of(), 4, 8, 0, 1)
                .houlsby().stream().sorted().toArray());
    }

    @Test
    public void aStepHoldsFewerInputsWhenTheyAreLongOrHaveMoreChoicesAndEveryExampleOncePerEpoch() {
        ExpertSettings s = new ExpertSettings(false, Set.of("self"), 32, Set.of(), 8, 16, 0, 1, 8, 1e-3, 0,
                0, 1, 7, 1, 1000, 100);
        List<RankClassifier.Encoded> examples = new ArrayList<>();
        Random random = new Random(3);
        for (int i = 0; i < 300; i++) {
            int choices = i % 3 == 0 ? 4 : 2;
            examples.add(new RankClassifier.Encoded(HalfMatrix.of(new float[5 + random.nextInt(250)][1]),
                    Collections.nCopies(choices, new int[] {1}), 0));
        }
        List<List<RankClassifier.Encoded>> batches = ExpertTraining.batches(examples, s, 1);
        Set<RankClassifier.Encoded> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        boolean someCut = false;
        for (List<RankClassifier.Encoded> batch : batches) {
            int choices = batch.get(0).choices().size();
            int longest = batch.stream().mapToInt(RankClassifier.Encoded::tokens).max().orElseThrow();
            assertTrue("one number of choices per batch", batch.stream().allMatch(e -> e.choices().size() == choices));
            assertTrue("rows stay within batchSize inputs of two choices", batch.size() * choices <= 8 * 2);
            assertTrue("tokens stay within batchSize inputs of 96 tokens, unless one input is longer",
                    batch.size() == 1 || (long) batch.size() * longest <= 8L * ExpertTraining.STEP_INPUT_LENGTH);
            someCut |= batch.size() < 16 / choices && longest > ExpertTraining.STEP_INPUT_LENGTH;
            seen.addAll(batch);
        }
        assertEquals("every example once", examples.size(), seen.size());
        assertEquals(examples.size(), batches.stream().mapToInt(List::size).sum());
        assertTrue("long inputs made some batches smaller", someCut);
    }
}
