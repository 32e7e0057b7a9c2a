package org.expertlm.engine.lm;

import java.util.Arrays;

/**
 * The shape of a decoder.
 *
 * @param layers decoder blocks
 * @param dim width of the token states (the encoder's, since embeddings are tied)
 * @param heads attention heads
 * @param inner width of the feed-forward blocks
 * @param maxLength the longest target sequence, BOS included
 * @param vocabulary the output vocabulary: WordPiece ids, index 0 being BOS; a restricted subset of
 *     the tokenizer's vocabulary keeps the output softmax small
 */
public record DecoderConfig(int layers, int dim, int heads, int inner, int maxLength, int[] vocabulary) {

    public DecoderConfig {
        if (layers < 1 || heads < 1 || dim % heads != 0 || inner < 1 || maxLength < 2 || vocabulary.length < 2) {
            throw new IllegalArgumentException("invalid decoder shape: " + layers + " layers, dim " + dim + ", " + heads
                    + " heads, inner " + inner + ", max length " + maxLength + ", " + vocabulary.length + " output tokens");
        }
        vocabulary = vocabulary.clone();
    }

    /**
     * WordPiece id → output index, for ids up to the largest in the vocabulary (-1 where absent):
     * built once by the model, so that mapping an answer's tokens costs an array read each.
     */
    int[] outputIndex() {
        int max = Arrays.stream(vocabulary).max().orElse(0);
        int[] index = new int[max + 1];
        Arrays.fill(index, -1);
        for (int i = vocabulary.length - 1; i >= 0; i--) {
            index[vocabulary[i]] = i;
        }
        return index;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecoderConfig c && layers == c.layers && dim == c.dim && heads == c.heads && inner == c.inner
                && maxLength == c.maxLength && Arrays.equals(vocabulary, c.vocabulary);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(new int[] {layers, dim, heads, inner, maxLength}) + Arrays.hashCode(vocabulary);
    }

    @Override
    public String toString() {
        return "DecoderConfig[" + layers + " layers, dim " + dim + ", " + heads + " heads, inner " + inner + ", max length "
                + maxLength + ", " + vocabulary.length + " output tokens]";
    }
}
