package org.expertlm.engine.lm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.Set;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.graph.SideBySide;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The direct scorer computes what the model's graph computes: every adapter kind (Houlsby after each
 * sublayer, LoRA on the decoder's attention and on the encoder's top layers), a plain base model and a
 * fine-tuned decoder, over inputs of different lengths and choices of different lengths.
 */
public class DirectScorerTest {

    private static MiniLmModel encoder;
    private static BaseModel base;

    @BeforeClass
    public static void load() {
        encoder = MiniLmFiles.model(2);
        base = TinyDecoders.base(encoder);
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
            TinyDecoders.perturb(sd);
            assertClose(fineTuned, DecoderLm.memoryLayers(null), type == DataType.DOUBLE ? 1e-9 : 1e-4);
        }
    }

    @Test
    public void inputsWithDifferentNumbersOfChoicesAndOneTokenChoicesScoreAsEachAlone() {
        AdapterPlan plan = new AdapterPlan(Set.of("ffn"), 32, Set.of("cross"), 4, 8, 1, 5);
        SameDiff sd = SameDiff.create();
        DecoderLm lm = DecoderLm.withAdapters(base, encoder.weights(), sd, plan, DataType.DOUBLE);
        TinyDecoders.perturb(sd);
        List<float[][]> states = encoder.tokenStates(TinyDecoders.TEXTS, DecoderLm.memoryLayers(plan));
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
        TinyDecoders.perturb(sd);
        List<float[][]> states = encoder.tokenStates(TinyDecoders.TEXTS, DecoderLm.memoryLayers(lm.plan()));
        try (DirectScorer scorer = DirectScorer.of(lm); SideBySide workers = new SideBySide(2)) {
            double[][] expected = scorer.scores(states, TinyDecoders.CHOICES);
            List<double[][]> results = workers.map(List.of(0, 1, 2, 3, 4, 5, 6, 7), Collections.nCopies(2, scorer),
                    (s, call) -> s.scores(states, TinyDecoders.CHOICES), n -> { });
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
        DecoderLm lm = DecoderLm.build(TinyDecoders.CONFIG, encoder.wordEmbeddings(), sd, Parameters.frozen(sd, base.tensors(), DataType.FLOAT),
                DataType.FLOAT);
        List<float[][]> states = encoder.tokenStates(TinyDecoders.TEXTS.subList(0, 1), 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DirectScorer.of(lm).scores(states, List.of(List.of(new int[] {7, 102}, new int[] {102}))));
        assertTrue(e.getMessage(), e.getMessage().contains("token 7 is not in the decoder's output vocabulary"));
    }

    private static void assertScoresAsTheGraph(AdapterPlan plan, DataType type, double tolerance) {
        SameDiff sd = SameDiff.create();
        DecoderLm lm;
        if (plan == null) {
            lm = DecoderLm.build(TinyDecoders.CONFIG, encoder.wordEmbeddings(), sd, Parameters.frozen(sd, base.tensors(), type), type);
        } else {
            lm = DecoderLm.withAdapters(base, encoder.weights(), sd, plan, type);
            TinyDecoders.perturb(sd); // the adapters start as the identity; moved, every one of them changes the scores
        }
        assertClose(lm, DecoderLm.memoryLayers(plan), tolerance);
    }

    private static void assertClose(DecoderLm lm, int layers, double tolerance) {
        List<float[][]> states = encoder.tokenStates(TinyDecoders.TEXTS, layers);
        INDArray expected = lm.graph().output(lm.classificationBatch(states, TinyDecoders.CHOICES, null), "sequence_logprob")
                .get("sequence_logprob");
        DirectScorer scorer = DirectScorer.of(lm);
        double[][] direct = scorer.scores(states, TinyDecoders.CHOICES);
        scorer.close();
        // Closing frees the scorer's own copies only: the model still computes what it did, and the scorer refuses.
        INDArray again = lm.graph().output(lm.classificationBatch(states, TinyDecoders.CHOICES, null), "sequence_logprob")
                .get("sequence_logprob");
        assertEquals(0.0, again.sub(expected).amaxNumber().doubleValue(), 0.0);
        assertThrows(IllegalStateException.class, () -> scorer.scores(states, TinyDecoders.CHOICES));
        for (int i = 0; i < TinyDecoders.CHOICES.size(); i++) {
            for (int c = 0; c < TinyDecoders.CHOICES.get(i).size(); c++) {
                double graph = expected.getDouble((long) i * TinyDecoders.CHOICES.get(i).size() + c);
                assertEquals("input " + i + ", choice " + c, graph, direct[i][c], tolerance);
            }
        }
        // The scores differ between choices: a scorer that ignored its inputs would not pass.
        assertTrue(Math.abs(direct[0][0] - direct[0][1]) > 0.01 && Math.abs(direct[1][0] - direct[2][0]) > 0.01);
    }
}
