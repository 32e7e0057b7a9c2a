package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.expertlm.engine.tokenize.WordPieceTokenizer;

/**
 * The decoder's restricted output vocabulary: BOS ([CLS]) first, the end token ([SEP]) and [UNK],
 * every piece of the forced words (the answer choices, so that every choice can be scored), then
 * the most frequent WordPiece ids of a corpus until the size is reached. Ties go to the lower id, so
 * the same corpus gives the same vocabulary.
 *
 * @param ids the WordPiece ids, in output order
 * @param coverage the share of the corpus's tokens (special tokens excluded) the vocabulary covers
 */
public record OutputVocabulary(int[] ids, double coverage) {

    public static OutputVocabulary build(Iterable<String> corpus, WordPieceTokenizer tokenizer, int size,
            Collection<String> forcedWords) {
        return fromPieces(() -> new Iterator<int[]>() {
            private final Iterator<String> texts = corpus.iterator();

            @Override
            public boolean hasNext() {
                return texts.hasNext();
            }

            @Override
            public int[] next() {
                int[] ids = tokenizer.encode(texts.next());
                return Arrays.copyOfRange(ids, 1, ids.length - 1);
            }
        }, tokenizer, size, forcedWords);
    }

    /** As {@link #build}, over a corpus already cut into pieces (no special tokens). */
    public static OutputVocabulary fromPieces(Iterable<int[]> corpus, WordPieceTokenizer tokenizer, int size,
            Collection<String> forcedWords) {
        Set<Integer> chosen = new LinkedHashSet<>(List.of(tokenizer.clsId(), tokenizer.sepId(), tokenizer.tokenId("[UNK]")));
        for (String word : forcedWords) {
            for (int id : tokenizer.pieces(word)) {
                chosen.add(id);
            }
        }
        if (chosen.size() > size) {
            throw new IllegalArgumentException("the forced words alone need " + chosen.size() + " output tokens; the size is " + size);
        }
        Map<Integer, Long> counts = new HashMap<>();
        long total = 0;
        for (int[] ids : corpus) {
            for (int id : ids) {
                counts.merge(id, 1L, Long::sum);
                total++;
            }
        }
        List<Map.Entry<Integer, Long>> byFrequency = new ArrayList<>(counts.entrySet());
        byFrequency.sort(Map.Entry.<Integer, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        for (Map.Entry<Integer, Long> e : byFrequency) {
            if (chosen.size() >= size) {
                break;
            }
            chosen.add(e.getKey());
        }
        long covered = 0;
        for (int id : chosen) {
            covered += counts.getOrDefault(id, 0L);
        }
        return new OutputVocabulary(chosen.stream().mapToInt(Integer::intValue).toArray(),
                total == 0 ? 0 : covered / (double) total);
    }
}
