package org.expertlm.retrieval.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal-rank fusion of ranked hit lists (Cormack et al., 2009): a library instance scores
 * {@code sum 1 / (K + rank)} over the lists that hold it (rank from 1), so that one found near the top by both
 * dense and BM25 search beats one found by either alone, whatever the two scores' scales.
 */
final class RankFusion {

    /** The usual constant: it damps the weight of the very first ranks. */
    static final int K = 60;

    private RankFusion() {
    }

    /** The {@code k} best instances of the fused lists, best first, each scored by its fused score. */
    static List<LibraryIndex.Hit> fuse(List<List<LibraryIndex.Hit>> lists, int k) {
        Map<String, LibraryIndex.Hit> first = new LinkedHashMap<>();
        Map<String, Double> scores = new LinkedHashMap<>();
        for (List<LibraryIndex.Hit> list : lists) {
            for (int rank = 0; rank < list.size(); rank++) {
                LibraryIndex.Hit hit = list.get(rank);
                String key = hit.expertId() + '\u0000' + hit.template() + '\u0000' + hit.text();
                first.putIfAbsent(key, hit);
                scores.merge(key, 1.0 / (K + rank + 1), Double::sum);
            }
        }
        List<String> keys = new ArrayList<>(first.keySet());
        // A stable sort: equal fused scores keep the order in which the instances were met.
        keys.sort(Comparator.comparingDouble((String key) -> scores.get(key)).reversed());
        List<LibraryIndex.Hit> fused = new ArrayList<>();
        for (String key : keys.subList(0, Math.min(k, keys.size()))) {
            LibraryIndex.Hit hit = first.get(key);
            fused.add(new LibraryIndex.Hit(hit.expertId(), hit.version(), hit.template(), hit.text(), scores.get(key).floatValue()));
        }
        return fused;
    }
}
