package org.expertlm.api;

import static org.junit.Assert.assertEquals;

import java.util.List;

import org.junit.Test;

/** ROUGE-L and chrF against values computed by hand. */
public class TextMetricsTest {

    @Test
    public void rougeLIsTheF1OfTheLongestCommonSubsequenceOfWords() {
        // LCS "the cat on the mat": 5 of 6 words each way.
        assertEquals(5.0 / 6, TextMetrics.rougeL("The cat sat on the mat.", "the cat is on the mat"), 1e-12);
        // LCS "a c": P = 2/3, R = 2/4, F = 2·(2/3)(1/2) / (2/3 + 1/2) = 4/7.
        assertEquals(4.0 / 7, TextMetrics.rougeL("a b c", "a x c y"), 1e-12);
        assertEquals(1.0, TextMetrics.rougeL("Hello, world!", "hello world"), 0);
        assertEquals(0.0, TextMetrics.rougeL("nothing shared", "at all"), 0);
        assertEquals(0.0, TextMetrics.rougeL("", "a"), 0);
        assertEquals(List.of("it", "s", "3", "o", "clock"), TextMetrics.words("It's 3 o'clock"));
        assertEquals("as rouge-score: a non-ASCII letter separates tokens", List.of("caf", "cr", "me"),
                TextMetrics.words("Café crème"));
    }

    @Test
    public void chrFAveragesCharacterNgramPrecisionAndRecallOverTheOrdersBothTextsHave() {
        assertEquals(1.0, TextMetrics.chrF("a b", "ab"), 0); // whitespace is removed
        // "abc" vs "abd": orders 1..3 have n-grams; P = R = (2/3 + 1/2 + 0) / 3 = 7/18, so F = 7/18.
        assertEquals(7.0 / 18, TextMetrics.chrF("abc", "abd"), 1e-12);
        // "ab" vs "abcd": order 1: P = 2/2, R = 2/4; order 2: P = 1/1, R = 1/3; orders 3+ only in the reference.
        // P = 1, R = (1/2 + 1/3) / 2 = 5/12; F = 5·P·R / (4P + R) = (25/12) / (4 + 5/12) = 25/53.
        assertEquals(25.0 / 53, TextMetrics.chrF("ab", "abcd"), 1e-12);
        assertEquals(0.0, TextMetrics.chrF("xyz", "abc"), 0);
        assertEquals(0.0, TextMetrics.chrF("", "abc"), 0);
    }
}
