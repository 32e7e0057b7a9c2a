package org.expertlm.engine.onnx;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.tensor.FloatTensor;
import org.junit.Test;

public class OnnxWeightsTest {

    @Test
    public void everyMatrixOfMiniLmGetsItsLayerName() throws IOException {
        byte[] onnx;
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.ONNX)) {
            onnx = in.readAllBytes();
        }
        Map<String, FloatTensor> weights = OnnxWeights.read(onnx);
        assertTrue(weights.keySet().stream().noneMatch(n -> n.startsWith("onnx::")));
        assertArrayEquals(new long[] {30522, 384}, weights.get("embeddings.word_embeddings.weight").shape());
        for (int layer = 0; layer < 6; layer++) {
            String p = "encoder.layer." + layer + ".";
            for (String w : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
                assertArrayEquals(p + w, new long[] {384, 384}, weights.get(p + w + ".weight").shape());
            }
            assertArrayEquals(new long[] {384, 1536}, weights.get(p + "intermediate.dense.weight").shape());
            assertArrayEquals(new long[] {1536, 384}, weights.get(p + "output.dense.weight").shape());
        }
        assertEquals("101 float initializers: 100 + word embeddings", 101, weights.size());
    }

    @Test
    public void truncatedOrForeignBytesAreRefused() {
        assertThrows(IOException.class, () -> OnnxWeights.read(new byte[] {0x3a, 0x7f, 0x01}));
        IOException e = assertThrows(IOException.class, () -> OnnxWeights.read(new byte[] {0x08, 0x01}));
        assertTrue(e.getMessage(), e.getMessage().contains("no graph"));
    }
}
