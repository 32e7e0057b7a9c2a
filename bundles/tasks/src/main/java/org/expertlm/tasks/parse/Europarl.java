package org.expertlm.tasks.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Lucene's {@code europarl.lines.txt}: {@code title TAB date TAB body}, debates in eleven languages
 * mixed. Lines without three fields are skipped and counted; {@link #isEnglish} tells the English ones.
 */
public final class Europarl {

    /** One line of the file. */
    public record Debate(String title, String date, String body) {
    }

    private static final Set<String> ENGLISH = Set.of("the", "of", "and", "to", "is", "that", "in", "we", "this", "for",
            "it", "be", "are", "on", "with", "have", "not", "which", "as", "i");

    private Europarl() {
    }

    public static List<Debate> parse(String text, Skips skips) {
        List<Debate> debates = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.split("\t", 3);
            if (fields.length < 3 || fields[0].isBlank() || fields[2].isBlank()) {
                skips.skip("line without title, date and body");
                continue;
            }
            debates.add(new Debate(fields[0].strip(), fields[1].strip(), fields[2].strip()));
        }
        return debates;
    }

    /** True when at least a quarter of the first 60 words are common English function words. */
    public static boolean isEnglish(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).split("[^a-z]+", 62);
        int common = 0;
        int n = Math.min(60, words.length);
        for (int i = 0; i < n; i++) {
            if (ENGLISH.contains(words[i])) {
                common++;
            }
        }
        return n >= 10 && common * 4 >= n;
    }
}
