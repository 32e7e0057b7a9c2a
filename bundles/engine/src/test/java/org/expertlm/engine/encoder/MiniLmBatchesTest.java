package org.expertlm.engine.encoder;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import org.expertlm.engine.MiniLmFiles;
import org.junit.Test;

/** How {@link MiniLmModel} batches texts for its workers, and that the vectors come back in the texts' order. */
public class MiniLmBatchesTest {

    @Test
    public void aTaskOfThirtyTwoTextsIsDealtToBothWorkersWithAboutAsManyTokensEach() {
        int[] lengths = new int[32];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = 10 + (i * 37) % 240; // 10 to 249 word pieces, in no order
        }
        List<List<Integer>> batches = MiniLmModel.batches(lengths, 2);
        assertEquals(2, batches.size());
        assertEquals(16, batches.get(0).size());
        assertEquals(16, batches.get(1).size());
        assertEveryIndexOnce(batches, lengths.length);
        long first = batches.get(0).stream().mapToLong(i -> lengths[i]).sum();
        long second = batches.get(1).stream().mapToLong(i -> lengths[i]).sum();
        assertTrue(first + " against " + second + " tokens", Math.abs(first - second) <= 250);
        // Shortest first: each batch's lengths rise.
        for (List<Integer> b : batches) {
            for (int j = 1; j < b.size(); j++) {
                assertTrue(lengths[b.get(j - 1)] <= lengths[b.get(j)]);
            }
        }
    }

    @Test
    public void moreTextsThanFillABatchPerWorkerGoInBatchesOfSimilarLength() {
        int[] lengths = new int[100];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = 100 - i;
        }
        List<List<Integer>> batches = MiniLmModel.batches(lengths, 2);
        assertEquals(List.of(32, 32, 32, 4), batches.stream().map(List::size).toList());
        assertEveryIndexOnce(batches, lengths.length);
        assertEquals("the shortest 32 first", new TreeSet<>(rangeOf(68, 100)), new TreeSet<>(batches.get(0)));
    }

    @Test
    public void fewerTextsThanWorkersRunOneABatch() {
        assertEquals(List.of(List.of(0)), MiniLmModel.batches(new int[] {5}, 2));
        assertEquals(List.of(List.of(1), List.of(0)), MiniLmModel.batches(new int[] {9, 4}, 4));
        assertEquals(List.of(), MiniLmModel.batches(new int[0], 2));
        assertEquals("one worker: one batch", 1, MiniLmModel.batches(new int[20], 1).size());
    }

    @Test
    public void vectorsComeBackInTheTextsOrderWithTheirProgress() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add("sentence " + i + " " + "with more words ".repeat(i % 7));
        }
        try (MiniLmModel model = MiniLmFiles.model(2)) {
            List<Integer> progress = new ArrayList<>();
            List<float[]> all = model.embed(texts, progress::add);
            assertEquals(texts.size(), all.size());
            assertEquals("two batches of 20", List.of(20, 40), progress);
            for (int i : new int[] {0, 1, 6, 13, 39}) {
                assertArrayEquals(texts.get(i), model.embed(List.of(texts.get(i))).get(0), all.get(i), 1e-5f);
            }
        }
    }

    private static void assertEveryIndexOnce(List<List<Integer>> batches, int n) {
        List<Integer> seen = new ArrayList<>();
        batches.forEach(seen::addAll);
        seen.sort(null);
        assertEquals(rangeOf(0, n), seen);
    }

    private static List<Integer> rangeOf(int from, int to) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i < to; i++) {
            r.add(i);
        }
        return r;
    }
}
