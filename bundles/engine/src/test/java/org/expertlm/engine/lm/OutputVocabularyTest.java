package org.expertlm.engine.lm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.util.Arrays;
import java.util.List;

import org.expertlm.engine.MiniLmFiles;
import org.expertlm.engine.tokenize.WordPieceTokenizer;
import org.junit.Test;

public class OutputVocabularyTest {

    private static WordPieceTokenizer tokenizer() throws Exception {
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.TOKENIZER)) {
            return WordPieceTokenizer.read(in, 256);
        }
    }

    @Test
    public void specialTokensAndForcedWordsComeFirstThenTheMostFrequentPieces() throws Exception {
        WordPieceTokenizer t = tokenizer();
        List<String> corpus = List.of("the cat sat on the mat", "the dog sat", "the the the");
        OutputVocabulary v = OutputVocabulary.build(corpus, t, 8, List.of("unacceptable"));
        int[] ids = v.ids();
        assertEquals(List.of("[CLS]", "[SEP]", "[UNK]"), t.tokens(Arrays.copyOf(ids, 3)));
        List<String> tokens = t.tokens(ids);
        int[] forced = t.encode("unacceptable");
        for (int i = 1; i < forced.length - 1; i++) {
            assertTrue(tokens + " has every piece of the forced word", tokens.contains(t.tokens(new int[] {forced[i]}).get(0)));
        }
        assertEquals(8, ids.length);
        assertTrue("the most frequent piece is in: " + tokens, tokens.contains("the"));
        assertTrue("sat (twice) beats the once-seen words: " + tokens, tokens.contains("sat"));
        // 12 corpus tokens. "unacceptable" is one piece, so 4 places remain after it and the 3 special
        // tokens: "the" (6), "sat" (2) and two of the once-seen words cover 10 of the 12.
        assertEquals("unacceptable is a single WordPiece", 3, forced.length);
        assertEquals(10 / 12.0, v.coverage(), 1e-9);
        assertEquals("deterministic", Arrays.toString(ids), Arrays.toString(OutputVocabulary.build(corpus, t, 8, List.of("unacceptable")).ids()));
    }

    @Test
    public void forcedWordsThatDoNotFitAreRefused() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OutputVocabulary.build(List.of("x"), tokenizer(), 4, List.of("antidisestablishmentarianism")));
        assertTrue(e.getMessage(), e.getMessage().contains("the forced words alone need"));
    }
}
