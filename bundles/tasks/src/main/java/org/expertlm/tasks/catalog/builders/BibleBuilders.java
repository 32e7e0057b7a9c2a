package org.expertlm.tasks.catalog.builders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.data.BibleDump;
import org.expertlm.tasks.parse.BibleVerses;
import org.expertlm.tasks.parse.BibleVerses.Reference;

/**
 * Builders over the aligned Bible dumps. Translation and rewriting use the Old Testament only; the
 * held-out paraphrase task uses the New Testament only, so no training task has seen its verses.
 */
public final class BibleBuilders {

    /** The 39 books of the Old Testament as the SWORD modules name them (deuterocanonical books are in neither set). */
    public static final Set<String> OLD_TESTAMENT = Set.of("Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy",
            "Joshua", "Judges", "Ruth", "I Samuel", "II Samuel", "I Kings", "II Kings", "I Chronicles", "II Chronicles",
            "Ezra", "Nehemiah", "Esther", "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon", "Isaiah",
            "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos", "Obadiah", "Jonah", "Micah",
            "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi");
    /** The 27 books of the New Testament as the SWORD modules name them. */
    public static final Set<String> NEW_TESTAMENT = Set.of("Matthew", "Mark", "Luke", "John", "Acts", "Romans",
            "I Corinthians", "II Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians", "I Thessalonians",
            "II Thessalonians", "I Timothy", "II Timothy", "Titus", "Philemon", "Hebrews", "James", "I Peter", "II Peter",
            "I John", "II John", "III John", "Jude", "Revelation of John");
    private static final int MAX_CHARS = 600;

    private BibleBuilders() {
    }

    /** Aligned Old Testament verses: {@code source}, {@code target}, {@code reference}. Options: from, to (SWORD modules). */
    static List<Record> translation(BuildContext c) throws IOException {
        Map<Reference, String> from = verses(c, c.option("from"));
        Map<Reference, String> to = verses(c, c.option("to"));
        List<Record> records = new ArrayList<>();
        for (Map.Entry<Reference, String> verse : from.entrySet()) {
            String target = to.get(verse.getKey());
            if (!OLD_TESTAMENT.contains(verse.getKey().book()) || target == null) {
                continue;
            }
            if (usable(verse.getValue()) && usable(target)) {
                records.add(new Record(verse.getKey().toString(),
                        Map.of("source", verse.getValue(), "target", target, "reference", verse.getKey().toString())));
            }
        }
        return records;
    }

    /**
     * New Testament pairs of an archaic and a modern verse: {@code archaic}, {@code modern},
     * {@code label} ({@code yes} for the same verse, {@code no} for another verse of its chapter), balanced.
     */
    static List<Record> paraphrase(BuildContext c) throws IOException {
        Map<Reference, String> archaic = verses(c, c.option("archaic"));
        Map<Reference, String> modern = verses(c, c.option("modern"));
        Map<String, List<Reference>> chapters = new LinkedHashMap<>();
        for (Reference r : archaic.keySet()) {
            if (NEW_TESTAMENT.contains(r.book()) && modern.containsKey(r)) {
                chapters.computeIfAbsent(r.book() + " " + r.chapter(), k -> new ArrayList<>()).add(r);
            }
        }
        List<Record> same = new ArrayList<>();
        List<Record> other = new ArrayList<>();
        for (List<Reference> chapter : chapters.values()) {
            for (Reference r : chapter) {
                String id = r.toString();
                boolean positive = Math.floorMod(BuildContext.contentId(id).hashCode(), 2) == 0 || chapter.size() < 2;
                Reference partner = positive ? r : otherVerse(chapter, r, id);
                String a = archaic.get(r);
                String m = modern.get(partner);
                if (usable(a) && usable(m)) {
                    (positive ? same : other).add(new Record(id, Map.of("archaic", a, "modern", m,
                            "label", positive ? "yes" : "no", "reference", id + (positive ? "" : " / " + partner))));
                }
            }
        }
        return Balance.evenly(List.of(same, other));
    }

    /** Another verse of the chapter, chosen by hash. */
    private static Reference otherVerse(List<Reference> chapter, Reference verse, String id) {
        int j = Math.floorMod((id + "#partner").hashCode(), chapter.size() - 1);
        return chapter.get(j >= chapter.indexOf(verse) ? j + 1 : j);
    }

    private static boolean usable(String text) {
        return text != null && text.length() >= 10 && text.length() <= MAX_CHARS;
    }

    private static Map<Reference, String> verses(BuildContext c, String module) throws IOException {
        Path dump = BibleDump.dumpFile(c.cache(), module);
        if (!Files.isRegularFile(dump)) {
            throw new IOException("the Bible dump " + dump + " is missing; run ./elm data fetch to make it");
        }
        return BibleVerses.parse(c.read(dump), c.skips());
    }
}
