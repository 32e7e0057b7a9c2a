package org.expertlm.engine.tensor;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.junit.Test;

public class HalfMatrixTest {

    @Test
    public void knownHalves() {
        assertEquals(0x3c00, bits(1f));
        assertEquals(0xc000, bits(-2f));
        assertEquals(0x7bff, bits(65504f));
        assertEquals("the tie above the largest half goes to infinity", 0x7c00, bits(65520f));
        assertEquals(0x7bff, bits(65519.99f));
        assertEquals(0x2e66, bits(0.1f));
        assertEquals("the smallest subnormal", 0x0001, bits(0x1p-24f));
        assertEquals("a tie between zero and the smallest subnormal goes to zero (even)", 0x0000, bits(0x1p-25f));
        assertEquals("a tie between subnormals 1 and 2 goes to 2 (even)", 0x0002, bits(0x1.8p-24f));
        assertEquals(0x8000, bits(-0f));
        assertEquals(0xfc00, bits(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(HalfMatrix.toFloat(HalfMatrix.toHalf(Float.NaN))));
    }

    @Test
    public void everyHalfSurvivesTheRoundTrip() {
        for (int h = 0; h < 0x10000; h++) {
            float value = HalfMatrix.toFloat((short) h);
            if (!Float.isNaN(value)) {
                assertEquals("half 0x" + Integer.toHexString(h), h, bits(value));
            }
        }
    }

    /** Against a search over all halves: the nearest one, ties to the even mantissa. */
    @Test
    public void floatsRoundToTheNearestHalf() {
        float[] positives = new float[0x7c00];
        for (int h = 0; h < positives.length; h++) {
            positives[h] = HalfMatrix.toFloat((short) h);
        }
        Random random = new Random(3);
        for (int i = 0; i < 100_000; i++) {
            int k = random.nextInt(positives.length - 1);
            float x = i % 2 == 0 ? (float) (random.nextGaussian() * Math.pow(10, random.nextInt(10) - 6))
                    : (random.nextBoolean() ? 1 : -1) * (positives[k] + positives[k + 1]) / 2; // an exact tie
            float magnitude = Math.abs(x);
            int found = Arrays.binarySearch(positives, magnitude);
            int below = found >= 0 ? found : -found - 2;
            double down = magnitude - (double) positives[below];
            double up = positives[below + 1] - (double) magnitude;
            int expected = up < down || up == down && below % 2 == 1 ? below + 1 : below;
            assertEquals("value " + x, expected | (x < 0 ? 0x8000 : 0), bits(x));
        }
    }

    @Test
    public void aMatrixKeepsItsShapeAndHalvesItsValues() {
        float[][] values = {{1f, -0.333333f, 70000f}, {1e-9f, 2.5f, 0.1f}};
        HalfMatrix half = HalfMatrix.of(values);
        assertEquals(2, half.rows());
        assertEquals(3, half.columns());
        assertEquals(12, half.bytes());
        float[][] back = half.toFloats();
        assertArrayEquals(new float[] {1f, HalfMatrix.toFloat((short) 0xb555), Float.POSITIVE_INFINITY}, back[0], 0f);
        assertArrayEquals(new float[] {0f, 2.5f, HalfMatrix.toFloat((short) 0x2e66)}, back[1], 0f);
        assertEquals(-0.333251953125f, back[0][1], 0f);
        assertThrows(IllegalArgumentException.class, () -> HalfMatrix.of(new float[][] {{1f, 2f}, {3f}}));
    }

    private static int bits(float value) {
        return HalfMatrix.toHalf(value) & 0xffff;
    }
}
