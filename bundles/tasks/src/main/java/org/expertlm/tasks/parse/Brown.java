package org.expertlm.tasks.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One file of the tagged Brown corpus (NLTK's Form C): sentences one per line, tokens {@code word/tag}.
 * Tags are lower case with modifiers ({@code -tl}, {@code -hl}, {@code $}, {@code *}); a token without
 * a tag is skipped and counted.
 */
public final class Brown {

    /** A word with its Brown tag. */
    public record Token(String word, String tag) {

        /** The coarse part of speech, or empty for punctuation and tags outside the common classes. */
        public String coarse() {
            String t = tag.toLowerCase(Locale.ROOT).split("[-+]", 2)[0].replace("*", "").replace("$", "");
            if (t.startsWith("nn") || t.startsWith("np") || t.equals("nr") || t.equals("nrs")) {
                return "noun";
            }
            if (t.startsWith("vb") || t.startsWith("be") || t.startsWith("do") || t.startsWith("hv") || t.equals("md")) {
                return "verb";
            }
            if (t.startsWith("jj")) {
                return "adjective";
            }
            if (t.startsWith("rb") || t.equals("ql") || t.equals("wrb")) {
                return "adverb";
            }
            if (t.startsWith("pp") || t.equals("wps") || t.equals("wpo")) {
                return "pronoun";
            }
            if (t.equals("in")) {
                return "preposition";
            }
            if (t.equals("at") || t.startsWith("dt") || t.equals("ap") || t.equals("abn")) {
                return "determiner";
            }
            if (t.equals("cc") || t.equals("cs")) {
                return "conjunction";
            }
            return "";
        }
    }

    public static final String UNTAGGED = "token without a tag";

    private Brown() {
    }

    /** The sentences of one file. */
    public static List<List<Token>> parse(String text, Skips skips) {
        List<List<Token>> sentences = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            List<Token> sentence = new ArrayList<>();
            for (String item : line.strip().split("\\s+")) {
                int slash = item.lastIndexOf('/');
                if (slash <= 0 || slash == item.length() - 1) {
                    skips.skip(UNTAGGED);
                    continue;
                }
                sentence.add(new Token(item.substring(0, slash), item.substring(slash + 1)));
            }
            if (!sentence.isEmpty()) {
                sentences.add(sentence);
            }
        }
        return sentences;
    }

    /** The plain text of a sentence, with the corpus's quote tokens turned back into quotes. */
    public static String text(List<Token> sentence) {
        StringBuilder out = new StringBuilder();
        boolean glueNext = true;
        for (Token t : sentence) {
            String w = t.word();
            boolean opening = w.equals("``") || w.equals("(");
            boolean glue = glueNext || w.equals("''") || w.matches("[.,;:!?)]|'s|n't");
            out.append(glue ? "" : " ").append(w.equals("``") || w.equals("''") ? "\"" : w);
            glueNext = opening;
        }
        return out.toString();
    }
}
