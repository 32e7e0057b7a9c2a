package org.expertlm.tasks.catalog.builders;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.xml.stream.XMLStreamException;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.parse.GrammarExamples;
import org.expertlm.tasks.parse.GrammarExamples.Example;

/** Builders over LanguageTool's English rule examples: acceptability (held out) and correction. */
final class GrammarBuilders {

    private static final String FILE = "org/languagetool/rules/en/grammar.xml";

    private GrammarBuilders() {
    }

    /** Sentences: {@code sentence}, {@code label} acceptable or unacceptable, balanced. */
    static List<Record> acceptability(BuildContext c) throws IOException {
        List<Record> good = new ArrayList<>();
        List<Record> bad = new ArrayList<>();
        for (Example e : examples(c)) {
            String label = e.correct() ? "acceptable" : "unacceptable";
            (e.correct() ? good : bad).add(new Record(BuildContext.contentId(e.sentence()),
                    Map.of("sentence", e.sentence(), "label", label, "category", e.category())));
        }
        return Balance.evenly(List.of(good, bad));
    }

    /** Incorrect sentences with their first correction applied: {@code wrong}, {@code corrected}. */
    static List<Record> correction(BuildContext c) throws IOException {
        List<Record> records = new ArrayList<>();
        for (Example e : examples(c)) {
            String corrected = e.corrected();
            if (corrected != null && !corrected.equals(e.sentence())) {
                records.add(new Record(BuildContext.contentId(e.sentence()),
                        Map.of("wrong", e.sentence(), "corrected", corrected, "category", e.category())));
            }
        }
        return records;
    }

    private static List<Example> examples(BuildContext c) throws IOException {
        try (InputStream in = Files.newInputStream(c.source("languagetool", FILE))) {
            return GrammarExamples.parse(in, c.skips());
        } catch (XMLStreamException e) {
            throw new IOException(c.source("languagetool", FILE) + " is not well-formed XML: " + e.getMessage(), e);
        }
    }
}
