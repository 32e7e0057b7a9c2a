package org.expertlm.engine.tensor;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.Test;

public class TensorSetsTest {

    private static FloatTensor t(long[] shape, float... values) {
        return new FloatTensor(shape, values);
    }

    @Test
    public void weightedSumsAndAveragesWorkTensorByTensor() {
        Map<String, FloatTensor> a = Map.of("x", t(new long[] {2}, 1, 2), "y", t(new long[] {1}, 10));
        Map<String, FloatTensor> b = Map.of("x", t(new long[] {2}, 3, 6), "y", t(new long[] {1}, -10));
        assertArrayEquals(new float[] {2, 4}, TensorSets.average(List.of(a, b)).get("x").values(), 0f);
        assertArrayEquals(new float[] {0}, TensorSets.average(List.of(a, b)).get("y").values(), 0f);
        Map<String, FloatTensor> weighted = TensorSets.weightedSum(List.of(a, b), new double[] {0.25, 0.75});
        assertArrayEquals(new float[] {2.5f, 5f}, weighted.get("x").values(), 1e-6f);
        assertArrayEquals("one set averages to itself", a.get("x").values(), TensorSets.average(List.of(a)).get("x").values(), 0f);
    }

    @Test
    public void setsThatDifferInNamesShapesOrWeightCountAreRefusedSayingWhere() {
        Map<String, FloatTensor> a = Map.of("x", t(new long[] {2}, 1, 2));
        IllegalArgumentException names = assertThrows(IllegalArgumentException.class,
                () -> TensorSets.average(List.of(a, Map.of("z", t(new long[] {2}, 1, 2)))));
        assertTrue(names.getMessage(), names.getMessage().contains("set 1 holds [z] but set 0 holds [x]"));
        IllegalArgumentException shapes = assertThrows(IllegalArgumentException.class,
                () -> TensorSets.average(List.of(a, Map.of("x", t(new long[] {1, 2}, 1, 2)))));
        assertTrue(shapes.getMessage(), shapes.getMessage().contains("tensor 'x' has shape [1, 2] in set 1 but [2] in set 0"));
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> TensorSets.weightedSum(List.of(a, a), new double[] {1}));
        assertTrue(count.getMessage(), count.getMessage().contains("2 tensor sets but 1 weights"));
    }

    @Test
    public void loraDeltasAreFoldedIntoTheirMatrix() {
        FloatTensor w = t(new long[] {2, 3}, 1, 1, 1, 1, 1, 1);
        FloatTensor a = t(new long[] {2, 1}, 1, 2);
        FloatTensor b = t(new long[] {1, 3}, 1, 0, -1);
        // A·B = [[1, 0, -1], [2, 0, -2]]; W + 0.5·A·B
        assertArrayEquals(new float[] {1.5f, 1, 0.5f, 2, 1, 0}, TensorSets.loraMerged(w, a, b, 0.5).values(), 1e-6f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorSets.loraMerged(w, t(new long[] {3, 1}, 1, 2, 3), b, 1));
        assertTrue(e.getMessage(), e.getMessage().contains("expected W [in, out], A [in, r], B [r, out]"));
    }
}
