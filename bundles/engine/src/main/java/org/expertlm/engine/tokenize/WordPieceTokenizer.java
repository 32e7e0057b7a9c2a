package org.expertlm.engine.tokenize;

import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The WordPiece tokenizer of all-MiniLM-L6-v2, read from its Hugging Face {@code tokenizer.json}
 * and reproducing that library's BERT pipeline exactly: clean-up (control characters dropped,
 * whitespace made spaces), spaces around CJK ideographs, accent stripping (NFD, non-spacing marks
 * removed), lower-casing; splitting at whitespace and around every punctuation character; greedy
 * longest-match WordPiece with {@code ##} continuations ({@code [UNK]} for a word that cannot be
 * split or is over 100 characters); then {@code [CLS] … [SEP]}, truncated to the maximum length.
 */
public final class WordPieceTokenizer {

    /** The longest sequence, special tokens included, the encoder is given. */
    public static final int DEFAULT_MAX_LENGTH = 256;
    private static final int MAX_WORD_CHARS = 100;

    private final Map<String, Integer> vocab;
    private final String[] tokens;
    private final int cls;
    private final int sep;
    private final int unk;
    private final int pad;
    private final int maxLength;

    private WordPieceTokenizer(Map<String, Integer> vocab, int maxLength) {
        this.vocab = vocab;
        this.tokens = new String[vocab.size()];
        vocab.forEach((token, id) -> tokens[id] = token);
        this.cls = id(vocab, "[CLS]");
        this.sep = id(vocab, "[SEP]");
        this.unk = id(vocab, "[UNK]");
        this.pad = id(vocab, "[PAD]");
        this.maxLength = maxLength;
    }

    /** Reads a {@code tokenizer.json} whose model is WordPiece with a BERT normalizer. */
    public static WordPieceTokenizer read(InputStream tokenizerJson, int maxLength) throws IOException {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room for [CLS] and [SEP]; expected at least 2");
        }
        JsonNode root = new ObjectMapper().readTree(tokenizerJson);
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new IOException("tokenizer.json has model type '" + model.path("type").asText() + "'; expected WordPiece");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        if (vocab.isEmpty()) {
            throw new IOException("tokenizer.json has an empty WordPiece vocabulary");
        }
        return new WordPieceTokenizer(vocab, maxLength);
    }

    public int vocabularySize() {
        return tokens.length;
    }

    /** The id of a token of the vocabulary ({@code [UNK]}, {@code ##ing}, …). */
    public int tokenId(String token) {
        return id(vocab, token);
    }

    public int padId() {
        return pad;
    }

    public int maxLength() {
        return maxLength;
    }

    /** The token ids of {@code text}: {@code [CLS]}, its pieces (truncated to fit), {@code [SEP]}. */
    public int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        ids.add(cls);
        for (String word : preTokenize(normalize(text))) {
            if (ids.size() >= maxLength - 1) {
                break;
            }
            wordPiece(word, ids);
        }
        int n = Math.min(ids.size(), maxLength - 1);
        int[] out = new int[n + 1];
        for (int i = 0; i < n; i++) {
            out[i] = ids.get(i);
        }
        out[n] = sep;
        return out;
    }

    /** The pieces of {@code text} without special tokens and without truncation: for long documents cut into windows. */
    public int[] pieces(String text) {
        List<Integer> ids = new ArrayList<>();
        for (String word : preTokenize(normalize(text))) {
            wordPiece(word, ids);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The id of {@code [CLS]}, which opens every encoded sequence. */
    public int clsId() {
        return cls;
    }

    /** The id of {@code [SEP]}, which ends every encoded sequence. */
    public int sepId() {
        return sep;
    }

    /**
     * Text from pieces: continuation pieces ({@code ##…}) join the piece before them, others are
     * separated by a space (the normalisation itself, lower case and stripped accents, cannot be undone).
     */
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder();
        for (String token : tokens(ids)) {
            if (token.startsWith("##")) {
                text.append(token, 2, token.length());
            } else {
                text.append(text.length() == 0 ? "" : " ").append(token);
            }
        }
        return text.toString();
    }

    /** The token strings of ids, for display. */
    public List<String> tokens(int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(id >= 0 && id < tokens.length ? tokens[id] : "?" + id);
        }
        return out;
    }

    static String normalize(String text) {
        StringBuilder clean = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == 0 || c == 0xFFFD || isControl(c)) {
                return;
            }
            if (isWhitespace(c)) {
                clean.append(' ');
            } else if (isChinese(c)) {
                clean.append(' ').appendCodePoint(c).append(' ');
            } else {
                clean.appendCodePoint(c);
            }
        });
        String decomposed = Normalizer.normalize(clean, Normalizer.Form.NFD);
        StringBuilder stripped = new StringBuilder(decomposed.length());
        decomposed.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(stripped::appendCodePoint);
        return stripped.toString().toLowerCase(Locale.ROOT);
    }

    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (isWhitespace(c)) {
                flush(word, words);
            } else if (isPunctuation(c)) {
                flush(word, words);
                words.add(new String(Character.toChars(c)));
            } else {
                word.appendCodePoint(c);
            }
        });
        flush(word, words);
        return words;
    }

    private void wordPiece(String word, List<Integer> out) {
        int length = word.codePointCount(0, word.length());
        if (length > MAX_WORD_CHARS) {
            out.add(unk);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String piece = (start > 0 ? "##" : "") + word.substring(start, end);
                found = vocab.get(piece);
                if (found != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                out.add(unk);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces);
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (word.length() > 0) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    /** Unicode White_Space, as Rust's {@code char::is_whitespace}. */
    static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || (c >= 0x0B && c <= 0x0C) || c == 0x85 || Character.isSpaceChar(c);
    }

    /** Unicode "Other" categories (Cc, Cf, Cn, Co, Cs), tab and line breaks excepted. */
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.UNASSIGNED
                || type == Character.PRIVATE_USE || type == Character.SURROGATE;
    }

    /** ASCII punctuation, or any Unicode punctuation category (P*). */
    static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
            return true;
        }
        int type = Character.getType(c);
        return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION
                || type == Character.START_PUNCTUATION || type == Character.END_PUNCTUATION
                || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
                || type == Character.OTHER_PUNCTUATION;
    }

    static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    private static int id(Map<String, Integer> vocab, String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("the vocabulary has no " + token + " token; is this a BERT tokenizer.json?");
        }
        return id;
    }
}
