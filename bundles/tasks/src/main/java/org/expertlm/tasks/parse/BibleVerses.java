package org.expertlm.tasks.parse;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A verse dump as {@code diatheke -f plain} prints it: {@code Book C:V: text}, continuation lines
 * (poetry) belonging to the verse above, blank lines between, and the module name in parentheses
 * at the end. Verse texts are joined into one line with single spaces.
 *
 * <p>diatheke also prints some modules' section titles after verses they do not belong to, the same
 * line thousands of times ("David's Psalm of praise."); a continuation line seen more than
 * {@value #REPEATED} times is such a title and is dropped (counted as a repeated heading line).
 */
public final class BibleVerses {

    /** Where a verse is: {@code Genesis 1:1}. */
    public record Reference(String book, int chapter, int verse) {
        @Override
        public String toString() {
            return book + " " + chapter + ":" + verse;
        }
    }

    private static final Pattern VERSE = Pattern.compile("^((?:[1-4] )?[A-Z][A-Za-z ]*?) (\\d+):(\\d+): ?(.*)$");
    private static final Pattern TRAILER = Pattern.compile("^\\([A-Za-z0-9]+\\)$");
    static final int REPEATED = 20;

    private BibleVerses() {
    }

    /** The verses in dump order; text found before the first verse is skipped and counted. */
    public static Map<Reference, String> parse(String dump, Skips skips) {
        Map<String, Integer> lineCounts = new HashMap<>();
        for (String line : dump.split("\n")) {
            lineCounts.merge(line.strip(), 1, Integer::sum);
        }
        Map<Reference, StringBuilder> verses = new LinkedHashMap<>();
        StringBuilder current = null;
        for (String line : dump.split("\n")) {
            String text = line.strip();
            Matcher m = VERSE.matcher(text);
            if (!m.matches() && !text.isEmpty() && lineCounts.get(text) > REPEATED) {
                skips.skip("repeated heading line");
            } else if (m.matches()) {
                current = new StringBuilder(m.group(4).strip());
                verses.put(new Reference(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))), current);
            } else if (text.isEmpty() || TRAILER.matcher(text).matches()) {
                continue;
            } else if (current == null) {
                skips.skip("text before the first verse");
            } else {
                current.append(' ').append(text);
            }
        }
        Map<Reference, String> out = new LinkedHashMap<>();
        verses.forEach((ref, text) -> out.put(ref, text.toString().replaceAll("\\s+", " ").strip()));
        return out;
    }
}
