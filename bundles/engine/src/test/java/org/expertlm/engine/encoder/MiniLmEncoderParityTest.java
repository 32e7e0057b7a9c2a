package org.expertlm.engine.encoder;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.OnnxReference;
import org.expertlm.engine.onnx.OnnxWeights;
import org.expertlm.engine.tokenize.WordPieceTokenizer;
import org.junit.BeforeClass;
import org.junit.Test;

/** Our encoder against ONNX Runtime on the same file: sentence vectors within 1e-4. */
public class MiniLmEncoderParityTest {

    private static WordPieceTokenizer tokenizer;
    private static MiniLmEncoder encoder;
    private static byte[] onnx;

    @BeforeClass
    public static void load() throws Exception {
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.TOKENIZER)) {
            tokenizer = WordPieceTokenizer.read(in, WordPieceTokenizer.DEFAULT_MAX_LENGTH);
        }
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.ONNX)) {
            onnx = in.readAllBytes();
        }
        encoder = MiniLmEncoder.build(OnnxWeights.read(onnx), 2);
    }

    @Test
    public void sentenceVectorsEqualOnnxRuntimeWithinOneTenThousandth() throws Exception {
        List<int[]> all = new ArrayList<>();
        MiniLmFiles.sentences().forEach(s -> all.add(tokenizer.encode(s)));
        double worst = 0;
        try (OnnxReference reference = new OnnxReference(onnx, 2)) {
            List<List<int[]>> batches = new ArrayList<>();
            for (int start = 0; start < all.size(); start += 16) {
                batches.add(all.subList(start, Math.min(all.size(), start + 16)));
            }
            List<float[][]> oursAll = encoder.embedBatches(batches);
            for (int b = 0; b < batches.size(); b++) {
                List<int[]> batch = batches.get(b);
                float[][] ours = oursAll.get(b);
                float[][] theirs = reference.embed(batch);
                for (int i = 0; i < batch.size(); i++) {
                    assertEquals(384, ours[i].length);
                    double norm = 0;
                    for (int d = 0; d < 384; d++) {
                        worst = Math.max(worst, Math.abs(ours[i][d] - theirs[i][d]));
                        norm += ours[i][d] * (double) ours[i][d];
                    }
                    assertEquals("unit length", 1.0, Math.sqrt(norm), 1e-5);
                }
            }
        }
        System.out.println("max |ours - ONNX Runtime| over " + all.size() + " sentences: " + worst);
        assertTrue("max abs difference " + worst, worst <= 1e-4);
    }

    @Test
    public void aSentenceVectorIsTheSameAloneOrBesideALongerSentence() {
        int[] shortOne = tokenizer.encode("a short sentence");
        int[] longOne = tokenizer.encode("a much longer sentence that sits beside the short one in the batch");
        float[] alone = encoder.embed(List.of(shortOne))[0];
        float[] beside = encoder.embed(List.of(shortOne, longOne))[0];
        for (int d = 0; d < alone.length; d++) {
            assertEquals(alone[d], beside[d], 1e-5);
        }
    }

    @Test
    public void tokenStatesMeanPoolToTheSentenceVector() {
        int[] ids = tokenizer.encode("token states feed the decoder");
        float[][] states = encoder.tokenStates(ids);
        assertEquals(ids.length, states.length);
        assertEquals(384, states[0].length);
        double[] mean = new double[384];
        for (float[] token : states) {
            for (int d = 0; d < 384; d++) {
                mean[d] += token[d] / (double) states.length;
            }
        }
        double norm = 0;
        for (double m : mean) {
            norm += m * m;
        }
        float[] vector = encoder.embed(List.of(ids))[0];
        for (int d = 0; d < 384; d++) {
            assertEquals(vector[d], mean[d] / Math.sqrt(norm), 1e-5);
        }
    }
}
