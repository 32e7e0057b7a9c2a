package org.expertlm.retrieval.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;

import org.junit.Test;

/** Reciprocal-rank fusion on hand-computed cases. */
public class RankFusionTest {

    private static LibraryIndex.Hit hit(String expert, String text, float score) {
        return new LibraryIndex.Hit(expert, "1.0.0", expert + "/t", text, score);
    }

    @Test
    public void anInstanceBothListsRankHighBeatsOneThatOnlyOneListRanksFirst() {
        List<LibraryIndex.Hit> dense = List.of(hit("a", "x", 0.9f), hit("b", "y", 0.8f));
        List<LibraryIndex.Hit> bm25 = List.of(hit("c", "z", 20f), hit("b", "y", 15f));
        List<LibraryIndex.Hit> fused = RankFusion.fuse(List.of(dense, bm25), 3);
        assertEquals(List.of("b", "a", "c"), fused.stream().map(LibraryIndex.Hit::expertId).toList());
        assertEquals(2.0 / 62, fused.get(0).score(), 1e-7);
        assertEquals(1.0 / 61, fused.get(1).score(), 1e-7);
        assertEquals("a tie keeps the order met: the dense list's first before the BM25 list's", 1.0 / 61, fused.get(2).score(), 1e-7);
    }

    @Test
    public void theFusedListIsCutAtKAndEmptyListsGiveNothing() {
        List<LibraryIndex.Hit> fused = RankFusion.fuse(List.of(List.of(hit("a", "x", 1), hit("b", "y", 1), hit("c", "z", 1))), 2);
        assertEquals(List.of("a", "b"), fused.stream().map(LibraryIndex.Hit::expertId).toList());
        assertEquals(List.of(), RankFusion.fuse(List.of(List.of(), List.of()), 1));
    }
}
