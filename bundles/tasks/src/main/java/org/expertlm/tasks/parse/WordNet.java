package org.expertlm.tasks.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Synsets of a WordNet {@code data.noun|verb|adj|adv} file: offset, part of speech, words, and the
 * gloss split into its definition and its quoted example sentences. Licence header lines (starting
 * with spaces) are not synsets; a line that does not have the format is skipped and counted.
 */
public final class WordNet {

    /** One synset. Words have underscores for spaces, as WordNet writes them, and no adjective markers. */
    public record Synset(String offset, String pos, List<String> words, String definition, List<String> examples) {
    }

    public static final String MALFORMED = "malformed WordNet line";
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");

    private WordNet() {
    }

    public static List<Synset> parse(String data, Skips skips) {
        List<Synset> synsets = new ArrayList<>();
        for (String line : data.split("\n")) {
            if (line.isBlank() || line.startsWith(" ")) {
                continue;
            }
            int bar = line.indexOf(" | ");
            String[] fields = (bar < 0 ? line : line.substring(0, bar)).split(" ");
            try {
                String pos = fields[2].equals("s") ? "a" : fields[2];
                int count = Integer.parseInt(fields[3], 16);
                List<String> words = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    words.add(fields[4 + 2 * i].replaceAll("\\(.*\\)$", ""));
                }
                String gloss = bar < 0 ? "" : line.substring(bar + 3).strip();
                List<String> examples = new ArrayList<>();
                Matcher m = QUOTED.matcher(gloss);
                while (m.find()) {
                    examples.add(m.group(1).strip());
                }
                String definition = gloss.split(";\\s*\"", 2)[0].replaceAll("\"[^\"]*\"", "").strip();
                if (definition.endsWith(";")) {
                    definition = definition.substring(0, definition.length() - 1).strip();
                }
                synsets.add(new Synset(fields[0], pos, List.copyOf(words), definition, List.copyOf(examples)));
            } catch (RuntimeException e) {
                skips.skip(MALFORMED);
            }
        }
        return synsets;
    }
}
