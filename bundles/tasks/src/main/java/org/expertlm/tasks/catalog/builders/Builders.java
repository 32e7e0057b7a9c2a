package org.expertlm.tasks.catalog.builders;

import java.util.Map;
import java.util.TreeMap;

import org.expertlm.tasks.catalog.Builder;

/** The builders a dataset definition can name. A new source family adds its builders here. */
public final class Builders {

    private static final Map<String, Builder> BY_NAME = new TreeMap<>(Map.ofEntries(
            Map.entry("polarity-csv", TextBuilders::polarity),
            Map.entry("fortunes", TextBuilders::fortunes),
            Map.entry("sotu-passages", TextBuilders::sotu),
            Map.entry("europarl-titles", TextBuilders::europarl),
            Map.entry("mail-spam", MailBuilders::spam),
            Map.entry("mail-list", MailBuilders::mailingList),
            Map.entry("mail-subject", MailBuilders::subject),
            Map.entry("brown-genre", BrownBuilders::genre),
            Map.entry("brown-pos", BrownBuilders::partOfSpeech),
            Map.entry("wordnet-definition", WordNetBuilders::definition),
            Map.entry("wordnet-reverse-dictionary", WordNetBuilders::reverseDictionary),
            Map.entry("wordnet-word-sense", WordNetBuilders::wordSense),
            Map.entry("bible-translation", BibleBuilders::translation),
            Map.entry("bible-paraphrase", BibleBuilders::paraphrase),
            Map.entry("grammar-acceptability", GrammarBuilders::acceptability),
            Map.entry("grammar-correction", GrammarBuilders::correction)));

    private Builders() {
    }

    /** The builder named {@code name}; the error lists the known names. */
    public static Builder named(String name) {
        Builder builder = BY_NAME.get(name);
        if (builder == null) {
            throw new IllegalArgumentException("no record builder '" + name + "'; known builders: " + String.join(", ", BY_NAME.keySet()));
        }
        return builder;
    }
}
