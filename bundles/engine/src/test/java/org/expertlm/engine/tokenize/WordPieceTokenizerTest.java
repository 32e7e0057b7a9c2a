package org.expertlm.engine.tokenize;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.MiniLmFiles;
import org.junit.Test;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

/** Token ids equal the Hugging Face tokenizers library's (the reference, through DJL) on varied text. */
public class WordPieceTokenizerTest {

    @Test
    public void idsEqualTheReferenceTokenizerOnEveryParitySentence() throws Exception {
        WordPieceTokenizer ours;
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.TOKENIZER)) {
            ours = WordPieceTokenizer.read(in, 256);
        }
        List<String> sentences = MiniLmFiles.sentences();
        assertTrue(sentences.size() >= 100);
        int truncated = 0;
        try (HuggingFaceTokenizer reference = HuggingFaceTokenizer.newInstance(MiniLmFiles.file(MiniLmFiles.TOKENIZER),
                Map.of("maxLength", "256", "truncation", "true", "padding", "false"))) {
            for (String sentence : sentences) {
                Encoding expected = reference.encode(sentence);
                long[] ids = expected.getIds();
                int[] want = new int[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    want[i] = (int) ids[i];
                }
                int[] got = ours.encode(sentence);
                assertArrayEquals("ids of: " + sentence + "\nexpected " + List.of(expected.getTokens()) + "\ngot      " + ours.tokens(got),
                        want, got);
                if (got.length == 256) {
                    truncated++;
                }
            }
        }
        assertTrue("some sentences went past 256 tokens: " + truncated, truncated >= 2);
    }

    @Test
    public void specialTokensFrameEverySequence() throws Exception {
        WordPieceTokenizer ours;
        try (InputStream in = MiniLmFiles.open(MiniLmFiles.TOKENIZER)) {
            ours = WordPieceTokenizer.read(in, 8);
        }
        int[] ids = ours.encode("Hello, unbelievable world of tokenization!");
        assertEquals(8, ids.length);
        assertEquals("[CLS]", ours.tokens(ids).get(0));
        assertEquals("[SEP]", ours.tokens(ids).get(7));
        assertEquals(List.of("[CLS]", "[SEP]"), ours.tokens(ours.encode("")));
        assertEquals(30522, ours.vocabularySize());
    }
}
