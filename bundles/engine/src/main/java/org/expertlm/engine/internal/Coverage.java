package org.expertlm.engine.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.expertlm.api.TaskExample;
import org.expertlm.api.VocabularyCoverage;
import org.expertlm.engine.lm.BaseModel;
import org.expertlm.engine.tokenize.WordPieceTokenizer;

/** How much of some targets a base model's output vocabulary expresses: what it can learn to write. */
final class Coverage {

    private Coverage() {
    }

    static VocabularyCoverage of(BaseModel base, WordPieceTokenizer tokenizer, List<TaskExample> examples) {
        Set<Integer> vocabulary = new HashSet<>();
        for (int id : base.config().vocabulary()) {
            vocabulary.add(id);
        }
        Map<Integer, Integer> missing = new HashMap<>();
        long pieces = 0;
        long covered = 0;
        int whole = 0;
        for (TaskExample e : examples) {
            boolean all = true;
            for (int piece : tokenizer.pieces(e.target())) {
                pieces++;
                if (vocabulary.contains(piece)) {
                    covered++;
                } else {
                    all = false;
                    missing.merge(piece, 1, Integer::sum);
                }
            }
            whole += all ? 1 : 0;
        }
        List<String> top = missing.entrySet().stream()
                .sorted(Map.Entry.<Integer, Integer>comparingByValue().reversed()).limit(10)
                .map(e -> tokenizer.tokens(new int[] {e.getKey()}).get(0)).toList();
        return new VocabularyCoverage(base.id(), examples.isEmpty() ? "" : examples.get(0).task(), examples.size(), pieces,
                pieces == 0 ? 1 : covered / (double) pieces, examples.isEmpty() ? 1 : whole / (double) examples.size(), top);
    }
}
