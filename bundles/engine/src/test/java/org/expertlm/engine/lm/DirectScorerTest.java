package org.expertlm.engine.lm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.GradientCheck;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.tensor.FloatTensor;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The direct scorer computes what the model's graph computes: every adapter kind (Houlsby after each
 * sublayer, LoRA on the decoder's attention and on the encoder's top layers), a plain base model and a
 * fine-tuned decoder, over inputs of different lengths and choices of different lengths.
 */
public class DirectScorerTest {

    private static final int[] VOCABULARY = {101, 102, 1996, 1997, 1998, 1999, 2000, 2001, 2002, 2003, 2004, 2005};
    private static final DecoderConfig CONFIG = new DecoderConfig(2, 384, 6, 96, 8, VOCABULARY);
    private static final List<String> TEXTS = List.of("A short input.",
            "A longer input, with a few more words in it than the first one has.",
            "Review: the film was long and the ending was not what anyone expected. Is it positive or negative?");
    private static final List<List<int[]>> CHOICES = List.of(
            List.of(new int[] {1996, 102}, new int[] {1997, 1998, 102}, new int[] {102}),
            List.of(new int[] {2000, 2001, 2002, 102}, new int[] {1999, 102}, new int[] {2003, 102}),
            List.of(new int[] {2004, 102}, new int[] {2005, 2005, 2005, 2005, 102}, new int[] {1996, 1997, 102}));

    private static MiniLmModel encoder;
    private static BaseModel base;

    @BeforeClass
    public static void load() {
        encoder = MiniLmFiles.model(2);
        Random random = new Random(11);
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        BaseModel.expectedShapes(CONFIG).forEach((name, shape) -> {
            float[] values = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((name.endsWith("norm.weight") ? 1 : 0) + random.nextGaussian() * (name.endsWith(".bias") ? 0.02 : 0.1));
            }
            tensors.put(name, new FloatTensor(shape, values));
        });
        base = new BaseModel("test@sha256:0", encoder.id(), CONFIG, tensors, "0", null);
    }

    @AfterClass
    public static void close() {
        encoder.close();
    }

    @Test
    public void anExpertWithEveryAdapterKindScoresAsItsGraphDoes() {
        AdapterPlan plan = new AdapterPlan(Set.of("self", "cross", "ffn"), 32, Set.of("self", "cross"), 4, 8, 2, 3);
        assertScoresAsTheGraph(plan, DataType.DOUBLE, 1e-9);
        assertScoresAsTheGraph(plan, DataType.FLOAT, 1e-4);
    }

    @Test
    public void aBaseModelAndAFineTunedDecoderScoreAsTheirGraphsDo() {
        assertScoresAsTheGraph(null, DataType.DOUBLE, 1e-9);
        for (DataType type : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            SameDiff sd = SameDiff.create();
            DecoderLm fineTuned = DecoderLm.fineTuning(base, encoder.weights(), sd, type);
            perturb(sd);
            assertClose(fineTuned, DecoderLm.memoryLayers(null), type == DataType.DOUBLE ? 1e-9 : 1e-4);
        }
    }

    @Test
    public void inputsWithDifferentNumbersOfChoicesAndOneTokenChoicesScoreAsEachAlone() {
        AdapterPlan plan = new AdapterPlan(Set.of("ffn"), 32, Set.of("cross"), 4, 8, 1, 5);
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd, plan, DataType.DOUBLE);
        perturb(sd);
        List<float[][]> states = encoder.tokenStates(TEXTS, DecoderLm.memoryLayers(plan));
        // One-token choices only: the graph pads them to two positions, the scorer does not.
        List<List<int[]>> choices = List.of(List.of(new int[] {102}, new int[] {1996}),
                List.of(new int[] {1997}, new int[] {1998}, new int[] {1999}, new int[] {102}), List.of(new int[] {2000}));
        try (DirectScorer scorer = DirectScorer.of(lm)) {
            double[][] together = scorer.scores(states, choices);
            for (int i = 0; i < choices.size(); i++) {
                double[] alone = lm.score(states.get(i), choices.get(i), false);
                assertEquals(alone.length, together[i].length);
                for (int c = 0; c < alone.length; c++) {
                    assertEquals("input " + i + ", choice " + c, alone[c], together[i][c], 1e-9);
                }
            }
        }
    }

    @Test
    public void oneScorerServesSeveralThreadsAtOnce() {
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd,
                new AdapterPlan(Set.of("self"), 32, Set.of(), 4, 8, 2, 9), DataType.FLOAT);
        perturb(sd);
        List<float[][]> states = encoder.tokenStates(TEXTS, DecoderLm.memoryLayers(lm.plan()));
        try (DirectScorer scorer = DirectScorer.of(lm); SideBySide workers = new SideBySide(2)) {
            double[][] expected = scorer.scores(states, CHOICES);
            List<double[][]> results = workers.map(List.of(0, 1, 2, 3, 4, 5, 6, 7), Collections.nCopies(2, scorer),
                    (s, call) -> s.scores(states, CHOICES), n -> { });
            for (double[][] result : results) {
                for (int i = 0; i < expected.length; i++) {
                    assertArrayEquals(expected[i], result[i], 0.0); // the same operations on the same arrays
                }
            }
        }
    }

    @Test
    public void aTokenOutsideTheOutputVocabularyIsNamed() {
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.build(CONFIG, encoder.wordEmbeddings(), sd, Parameters.frozen(sd, base.tensors(), DataType.FLOAT),
                DataType.FLOAT);
        List<float[][]> states = encoder.tokenStates(TEXTS.subList(0, 1), 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DirectScorer.of(lm).scores(states, List.of(List.of(new int[] {7, 102}, new int[] {102}))));
        assertTrue(e.getMessage(), e.getMessage().contains("token 7 is not in the decoder's output vocabulary"));
    }

    private static void assertScoresAsTheGraph(AdapterPlan plan, DataType type, double tolerance) {
        SameDiff sd = SameDiff.create();
        DecoderLm lm;
        if (plan == null) {
            lm = DecoderLm.build(CONFIG, encoder.wordEmbeddings(), sd, Parameters.frozen(sd, base.tensors(), type), type);
        } else {
            lm = DecoderLm.withAdapters(base, encoder.weights(), sd, plan, type);
            perturb(sd); // the adapters start as the identity; moved, every one of them changes the scores
        }
        assertClose(lm, DecoderLm.memoryLayers(plan), tolerance);
    }

    /** Moves every trainable variable off its initial value. */
    private static void perturb(SameDiff sd) {
        for (String name : GradientCheck.trainable(sd)) {
            INDArray a = sd.getVariable(name).getArr();
            a.addi(Nd4j.randn(name.hashCode(), a.shape()).castTo(a.dataType()).muli(0.05));
        }
    }

    private static void assertClose(DecoderLm lm, int layers, double tolerance) {
        List<float[][]> states = encoder.tokenStates(TEXTS, layers);
        INDArray expected = lm.graph().output(lm.classificationBatch(states, CHOICES, null), "sequence_logprob")
                .get("sequence_logprob");
        DirectScorer scorer = DirectScorer.of(lm);
        double[][] direct = scorer.scores(states, CHOICES);
        scorer.close();
        // Closing frees the scorer's own copies only: the model still computes what it did, and the scorer refuses.
        INDArray again = lm.graph().output(lm.classificationBatch(states, CHOICES, null), "sequence_logprob")
                .get("sequence_logprob");
        assertEquals(0.0, again.sub(expected).amaxNumber().doubleValue(), 0.0);
        assertThrows(IllegalStateException.class, () -> scorer.scores(states, CHOICES));
        for (int i = 0; i < CHOICES.size(); i++) {
            for (int c = 0; c < CHOICES.get(i).size(); c++) {
                double graph = expected.getDouble((long) i * CHOICES.get(i).size() + c);
                assertEquals("input " + i + ", choice " + c, graph, direct[i][c], tolerance);
            }
        }
        // The scores differ between choices: a scorer that ignored its inputs would not pass.
        assertTrue(Math.abs(direct[0][0] - direct[0][1]) > 0.01 && Math.abs(direct[1][0] - direct[2][0]) > 0.01);
    }
}
