package org.expertlm.engine.lm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.ModelFormatException;
import org.junit.Test;

/**
 * Updates carried whole become their full-rank pairs, A·B = ΔW, whether the update is wider than tall or taller than
 * wide; everything else is kept; a plan that cannot hold them refuses them, naming the tensor.
 */
public class LoraUpdatesTest {

    private static final AdapterConfig RANK_2 = new AdapterConfig(Set.of(), 1, Set.of("cross"), 2, 2, 0, 1);
    private static final float[] WIDE = {1, 2, 3, 4, 5, 6}; // [2, 3]
    private static final float[] TALL = {1, -1, 2, -2, 3, -3}; // [3, 2]
    private static final AdapterTensors WHOLE = AdapterTensors.builder().metadata("format", "elm-expert")
            .put("p.delta", new long[] {2, 3}, WIDE).put("q.delta", new long[] {3, 2}, TALL)
            .put("h.up.weight", new long[] {2}, new float[] {7, 8}).build();

    @Test
    public void updatesBecomePairsWhoseProductIsTheUpdate() {
        AdapterTensors pairs = LoraUpdates.pairs(WHOLE, RANK_2);
        assertEquals(Set.of("h.up.weight", "p.lora_a", "p.lora_b", "q.lora_a", "q.lora_b"), pairs.names());
        assertEquals(List.of(2L, 2L), shape(pairs, "p.lora_a"));
        assertEquals(List.of(2L, 3L), shape(pairs, "p.lora_b"));
        assertArrayEquals(WIDE, product(pairs, "p", 2, 2, 3), 0);
        assertEquals(List.of(3L, 2L), shape(pairs, "q.lora_a"));
        assertEquals(List.of(2L, 2L), shape(pairs, "q.lora_b"));
        assertArrayEquals(TALL, product(pairs, "q", 3, 2, 2), 0);
        assertArrayEquals(new float[] {7, 8}, pairs.values("h.up.weight"), 0);
        assertEquals(WHOLE.metadata(), pairs.metadata());

        AdapterTensors none = AdapterTensors.builder().put("h.up.weight", new long[] {2}, new float[] {7, 8}).build();
        assertSame("nothing to turn", none, LoraUpdates.pairs(none, RANK_2));
    }

    @Test
    public void theShapesExpectedTakeTheUpdatesInPlaceOfTheirPairs() throws ModelFormatException {
        Map<String, long[]> pairs = new TreeMap<>(Map.of("p.lora_a", new long[] {2, 2}, "p.lora_b", new long[] {2, 3},
                "q.lora_a", new long[] {3, 2}, "q.lora_b", new long[] {2, 2}, "h.up.weight", new long[] {2}));
        Map<String, long[]> expected = LoraUpdates.expected(pairs, WHOLE, RANK_2, "test");
        assertEquals(Set.of("h.up.weight", "p.delta", "q.delta"), expected.keySet());
        WHOLE.checkShapes(expected, "test");
        AdapterTensors pairsOnly = LoraUpdates.pairs(WHOLE, RANK_2);
        assertEquals(pairs.keySet(), LoraUpdates.expected(pairs, pairsOnly, RANK_2, "test").keySet());
    }

    @Test
    public void aPlanThatCannotHoldAnUpdateWholeRefusesIt() {
        AdapterConfig scaled = new AdapterConfig(Set.of(), 1, Set.of("cross"), 2, 4, 0, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraUpdates.pairs(WHOLE, scaled));
        assertTrue(e.getMessage(), e.getMessage().contains("tensor p.delta is a LoRA update [2, 3] carried whole, which only a plan "
                + "of rank 2 and alpha 2 holds, not rank 2 and alpha 4.0; write the update as its pair p.lora_a/.lora_b"));
        Map<String, long[]> pairs = Map.of("p.lora_a", new long[] {2, 1}, "p.lora_b", new long[] {1, 3});
        AdapterConfig low = new AdapterConfig(Set.of(), 1, Set.of("cross"), 1, 1, 0, 1);
        ModelFormatException f = assertThrows(ModelFormatException.class, () -> LoraUpdates.expected(pairs, WHOLE, low, "a jar"));
        assertTrue(f.getMessage(), f.getMessage().startsWith("a jar: tensor p.delta is a LoRA update [2, 3] carried whole"));
        assertThrows(IllegalArgumentException.class, () -> LoraUpdates.pairs(WHOLE, null));
    }

    private static List<Long> shape(AdapterTensors t, String name) {
        return java.util.Arrays.stream(t.shape(name)).boxed().toList();
    }

    private static float[] product(AdapterTensors t, String projection, int in, int rank, int out) {
        float[] a = t.values(projection + ".lora_a");
        float[] b = t.values(projection + ".lora_b");
        float[] c = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int k = 0; k < rank; k++) {
                for (int j = 0; j < out; j++) {
                    c[i * out + j] += a[i * rank + k] * b[k * out + j];
                }
            }
        }
        return c;
    }
}
