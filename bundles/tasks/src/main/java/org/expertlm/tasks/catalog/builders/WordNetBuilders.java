package org.expertlm.tasks.catalog.builders;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.parse.WordNet;
import org.expertlm.tasks.parse.WordNet.Synset;

/**
 * Builders over WordNet 3.1: definitions, a reverse dictionary, and the held-out word-sense pairs.
 * The word-sense lemmas (those whose examples show them in two or more senses) are kept out of the
 * lexical tasks entirely, so that the word-sense cluster stays unseen.
 */
public final class WordNetBuilders {

    private static final Map<String, String> POS = Map.of("n", "noun", "v", "verb", "a", "adjective", "r", "adverb");
    private static final List<String> FILES = List.of("data.noun", "data.verb", "data.adj", "data.adv");

    private WordNetBuilders() {
    }

    static List<Synset> synsets(BuildContext c) throws IOException {
        List<Synset> all = new ArrayList<>();
        for (String file : FILES) {
            all.addAll(WordNet.parse(c.read(c.source("wordnet", "net/sf/extjwnl/data/wordnet/wn31/" + file)), c.skips()));
        }
        return all;
    }

    /**
     * Lemma → synset → the synset's example sentences (four words or more) that use the lemma, for
     * lemmas used so in two or more synsets.
     */
    public static Map<String, Map<String, List<String>>> senseExamples(List<Synset> synsets) {
        Map<String, Map<String, List<String>>> byLemma = new TreeMap<>();
        for (Synset s : synsets) {
            if (s.examples().isEmpty()) {
                continue;
            }
            for (String word : s.words()) {
                String lemma = word.replace('_', ' ').toLowerCase(Locale.ROOT);
                Pattern whole = Pattern.compile("(?i)(?<![A-Za-z])" + Pattern.quote(lemma) + "(?![A-Za-z])");
                for (String example : s.examples()) {
                    if (example.split(" ").length >= 4 && whole.matcher(example).find()) {
                        byLemma.computeIfAbsent(lemma, k -> new LinkedHashMap<>())
                                .computeIfAbsent(s.pos() + s.offset(), k -> new ArrayList<>()).add(example);
                    }
                }
            }
        }
        byLemma.values().removeIf(senses -> senses.size() < 2);
        return byLemma;
    }

    /** The lemmas of the word-sense task. */
    public static Set<String> wordSenseLemmas(List<Synset> synsets) {
        return new TreeSet<>(senseExamples(synsets).keySet());
    }

    /** Synsets with a head word outside the word-sense lemmas: {@code word}, {@code pos}, {@code definition}. */
    static List<Record> definition(BuildContext c) throws IOException {
        List<Synset> synsets = synsets(c);
        Set<String> excluded = wordSenseLemmas(synsets);
        List<Record> records = new ArrayList<>();
        for (Synset s : synsets) {
            String word = headWord(s, excluded);
            if (word != null && !s.definition().isEmpty()) {
                records.add(new Record(s.pos() + s.offset(), Map.of("word", word, "pos", POS.get(s.pos()), "definition", s.definition())));
            }
        }
        return records;
    }

    /**
     * A definition with four candidate words of its part of speech: {@code definition}, {@code answer},
     * {@code options} (the answer and three others, in a fixed shuffled order).
     */
    static List<Record> reverseDictionary(BuildContext c) throws IOException {
        List<Synset> synsets = synsets(c);
        Set<String> excluded = wordSenseLemmas(synsets);
        Map<String, List<String>> pool = new HashMap<>();
        Map<Synset, String> heads = new LinkedHashMap<>();
        for (Synset s : synsets) {
            String word = headWord(s, excluded);
            if (word != null && !s.definition().isEmpty() && !word.contains(" ")) {
                heads.put(s, word);
                pool.computeIfAbsent(s.pos(), k -> new ArrayList<>()).add(word);
            }
        }
        List<Record> records = new ArrayList<>();
        for (Map.Entry<Synset, String> e : heads.entrySet()) {
            Synset s = e.getKey();
            String id = s.pos() + s.offset();
            List<String> candidates = pool.get(s.pos());
            List<String> options = new ArrayList<>(List.of(e.getValue()));
            for (int k = 1; options.size() < 4 && k < 50; k++) {
                String other = candidates.get(Math.floorMod((id + "#" + k).hashCode(), candidates.size()));
                if (!options.contains(other) && !s.words().contains(other)) {
                    options.add(other);
                }
            }
            if (options.size() < 4) {
                continue;
            }
            options.sort(Comparator.comparing(o -> BuildContext.contentId(id + o)));
            records.add(new Record(id, Map.of("definition", s.definition(), "answer", e.getValue(), "options", List.copyOf(options))));
        }
        return records;
    }

    /**
     * WiC-style pairs: {@code word}, {@code sentence1}, {@code sentence2}, {@code label} ({@code same}
     * when both use the word in one sense, {@code different} otherwise), balanced between the two.
     */
    static List<Record> wordSense(BuildContext c) throws IOException {
        List<Record> same = new ArrayList<>();
        List<Record> different = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<String>>> lemma : senseExamples(synsets(c)).entrySet()) {
            List<List<String>> senses = new ArrayList<>(lemma.getValue().values());
            for (List<String> examples : senses) {
                if (examples.size() >= 2) {
                    same.add(pair(lemma.getKey(), "same", examples.get(0), examples.get(1)));
                    break;
                }
            }
            different.add(pair(lemma.getKey(), "different", senses.get(0).get(0), senses.get(1).get(0)));
        }
        return Balance.evenly(List.of(same, different));
    }

    private static Record pair(String lemma, String label, String first, String second) {
        return new Record(lemma.replace(' ', '_') + "-" + label,
                Map.of("word", lemma, "sentence1", first, "sentence2", second, "label", label));
    }

    /** The synset's first word that is not excluded, with spaces for underscores; null when none. */
    static String headWord(Synset s, Set<String> excluded) {
        for (String word : s.words()) {
            String lemma = word.replace('_', ' ');
            if (!excluded.contains(lemma.toLowerCase(Locale.ROOT))) {
                return lemma;
            }
        }
        return null;
    }
}
