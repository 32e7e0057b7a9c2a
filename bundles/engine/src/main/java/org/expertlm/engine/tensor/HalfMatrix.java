package org.expertlm.engine.tensor;

/**
 * A matrix held in IEEE 754 half precision (binary16): the encoder states an expert's training caches
 * for every input, in half the memory of floats (the PyTorch probe cached them in fp16 too).
 * Values round to the nearest half, ties to even, as a float-to-half cast does; Java 17 has no
 * {@code Float.floatToFloat16}, hence the conversions here.
 */
public final class HalfMatrix {

    private final short[] values;
    private final int rows;
    private final int columns;

    private HalfMatrix(short[] values, int rows, int columns) {
        this.values = values;
        this.rows = rows;
        this.columns = columns;
    }

    /** The rows, each rounded to half precision; every row must have the same length. */
    public static HalfMatrix of(float[][] matrix) {
        int columns = matrix.length == 0 ? 0 : matrix[0].length;
        short[] values = new short[matrix.length * columns];
        for (int r = 0; r < matrix.length; r++) {
            if (matrix[r].length != columns) {
                throw new IllegalArgumentException("row " + r + " has " + matrix[r].length + " values; expected " + columns
                        + " like row 0");
            }
            for (int c = 0; c < columns; c++) {
                values[r * columns + c] = toHalf(matrix[r][c]);
            }
        }
        return new HalfMatrix(values, matrix.length, columns);
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    /** The bytes this matrix holds its values in. */
    public long bytes() {
        return 2L * values.length;
    }

    /** The values as floats (exactly the halves: every half is a float). */
    public float[][] toFloats() {
        float[][] out = new float[rows][columns];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                out[r][c] = toFloat(values[r * columns + c]);
            }
        }
        return out;
    }

    /** The half nearest to {@code value} (ties to even); beyond the largest half, infinity; NaN stays NaN. */
    static short toHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fff_ffff;
        if (magnitude >= 0x7f80_0000) { // infinity, or NaN (kept quiet, with the payload's top bits)
            return (short) (sign | 0x7c00 | (magnitude > 0x7f80_0000 ? 0x200 | (magnitude >>> 13) & 0x3ff : 0));
        }
        if (magnitude >= 0x477f_f000) { // 65520 and above round past 65504, the largest half
            return (short) (sign | 0x7c00);
        }
        if (magnitude < 0x3880_0000) { // below 2^-14: a subnormal half, a multiple of 2^-24 (exact scaling, rint ties to even)
            return (short) (sign | (int) Math.rint(Float.intBitsToFloat(magnitude) * 0x1p24f));
        }
        int half = ((magnitude >>> 23) - 112) << 10 | (magnitude >>> 13) & 0x3ff;
        int dropped = magnitude & 0x1fff;
        if (dropped > 0x1000 || dropped == 0x1000 && (half & 1) == 1) {
            half++; // a carry out of the mantissa moves to the next exponent, as it should
        }
        return (short) (sign | half);
    }

    /** The float equal to a half. */
    static float toFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = bits >>> 10 & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | mantissa << 13);
        }
        if (exponent == 0) {
            float subnormal = mantissa * 0x1p-24f;
            return sign == 0 ? subnormal : -subnormal;
        }
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }
}
