package org.expertlm.tasks.catalog.builders;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.parse.Brown;
import org.expertlm.tasks.parse.Brown.Token;

/** Builders over the tagged Brown corpus: the genre of a passage, and parts of speech. */
final class BrownBuilders {

    private BrownBuilders() {
    }

    /** Passages of about {@code chars} characters: {@code text}, {@code genre}. Options: genres (category → word), chars. */
    static List<Record> genre(BuildContext c) throws IOException {
        Map<String, String> genres = c.mapOption("genres");
        int chars = c.option("chars", 1500);
        List<Record> records = new ArrayList<>();
        for (Map.Entry<String, String> file : categories(c).entrySet()) {
            String genre = genres.get(file.getValue());
            if (genre == null) {
                c.skips().skip("Brown file of an unmapped category");
                continue;
            }
            StringBuilder passage = new StringBuilder();
            int n = 0;
            for (List<Token> sentence : Brown.parse(c.read(c.source("brown", "package/" + file.getKey())), c.skips())) {
                passage.append(passage.length() == 0 ? "" : " ").append(Brown.text(sentence));
                if (passage.length() >= chars) {
                    records.add(new Record(file.getKey() + "-" + n++, Map.of("text", passage.toString(), "genre", genre)));
                    passage.setLength(0);
                }
            }
        }
        return records;
    }

    /**
     * Sentences of 6 to 25 tokens: {@code sentence}, {@code tags} (the coarse part of speech of each
     * token, {@code other} where none applies), and one {@code word} with its {@code pos}, chosen by hash.
     */
    static List<Record> partOfSpeech(BuildContext c) throws IOException {
        List<Record> records = new ArrayList<>();
        for (String file : categories(c).keySet()) {
            int n = 0;
            for (List<Token> sentence : Brown.parse(c.read(c.source("brown", "package/" + file)), c.skips())) {
                n++;
                if (sentence.size() < 6 || sentence.size() > 25) {
                    continue;
                }
                List<String> tags = new ArrayList<>();
                List<Token> candidates = new ArrayList<>();
                for (Token t : sentence) {
                    String coarse = t.coarse();
                    tags.add(coarse.isEmpty() ? "other" : coarse);
                    if (!coarse.isEmpty() && t.word().matches("[A-Za-z]+")) {
                        candidates.add(t);
                    }
                }
                if (candidates.isEmpty()) {
                    continue;
                }
                String text = Brown.text(sentence);
                String id = file + "-" + n;
                Token chosen = candidates.get(Math.floorMod(BuildContext.contentId(id).hashCode(), candidates.size()));
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("sentence", text);
                fields.put("tags", String.join(" ", tags));
                fields.put("words", String.join(" ", sentence.stream().map(t -> t.word().equals("``") || t.word().equals("''") ? "\"" : t.word()).toList()));
                fields.put("word", chosen.word());
                fields.put("pos", chosen.coarse());
                records.add(new Record(id, fields));
            }
        }
        return records;
    }

    /** {@code cats.txt}: file name → category, in file order. */
    private static Map<String, String> categories(BuildContext c) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        for (String line : c.read(c.source("brown", "package/cats.txt")).split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length == 2) {
                files.put(parts[0], parts[1]);
            }
        }
        return files;
    }
}
