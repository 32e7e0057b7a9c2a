package org.expertlm.tasks.parse;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.Test;

/** Every parser on small fixtures written in the source's own format, bad records included. */
public class ParsersTest {

    static String fixture(String name) throws IOException {
        try (InputStream in = ParsersTest.class.getResourceAsStream("/fixtures/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    public void csvReadsQuotedFieldsAndSkipsAMalformedLine() throws IOException {
        Skips skips = new Skips();
        List<List<String>> rows = Csv.parse(fixture("polarity.csv"), skips);
        assertEquals(3, rows.size());
        assertEquals(List.of("1", "a gorgeous , witty film . \n"), rows.get(0));
        assertEquals("the plot is \" thin \" and slow .", rows.get(1).get(1));
        assertEquals(List.of("-1", "dull , dull , dull ."), rows.get(2));
        assertEquals(1, skips.count(Csv.MALFORMED));
    }

    @Test
    public void mailUnfoldsHeadersAndReadsThePlainBody() throws IOException {
        Skips skips = new Skips();
        Mail mail = Mail.parse(fixture("mail-plain.eml"), skips).orElseThrow();
        assertEquals("[ILUG] Re: kernel compile question", mail.header("Subject"));
        assertTrue(mail.header("list-id").contains("ilug.linux.ie"));
        assertTrue(mail.body().startsWith("Has anyone built 2.4.19"));
        assertEquals(0, skips.total());
    }

    @Test
    public void mailDecodesEncodedWordsMultipartAndQuotedPrintable() throws IOException {
        Mail mail = Mail.parse(fixture("mail-multipart.eml"), new Skips()).orElseThrow();
        assertEquals("Café deals", mail.header("subject"));
        assertEquals("Cheap café deals, click now!", mail.body().strip());
    }

    @Test
    public void truncatedMailsAndUnknownEncodingsAreSkippedAndCounted() throws IOException {
        Skips skips = new Skips();
        assertTrue(Mail.parse(fixture("mail-truncated.eml"), skips).isEmpty());
        assertTrue(Mail.parse(fixture("mail-unknown-charset.eml"), skips).isEmpty());
        assertEquals(1, skips.count(Mail.TRUNCATED));
        assertEquals(1, skips.count(Mail.UNKNOWN_ENCODING));
        assertTrue(skips.summary(), skips.summary().startsWith("2 skipped:"));
    }

    @Test
    public void grammarExamplesKeepMarkersCorrectionsAndCategories() throws Exception {
        Skips skips = new Skips();
        List<GrammarExamples.Example> examples;
        try (InputStream in = ParsersTest.class.getResourceAsStream("/fixtures/grammar.xml")) {
            examples = GrammarExamples.parse(in, skips);
        }
        assertEquals(4, examples.size());
        GrammarExamples.Example wrong = examples.get(0);
        assertEquals("Grammar", wrong.category());
        assertFalse(wrong.correct());
        assertEquals("a", wrong.sentence().substring(wrong.markerStart(), wrong.markerEnd()));
        assertEquals("This is an apple.", wrong.corrected());
        assertTrue(examples.get(1).correct());
        assertNull(examples.get(1).corrected());
        assertEquals("The dog wagged its tail.", examples.get(2).corrected());
        assertEquals(List.of("its", "it is"), examples.get(2).corrections());
        assertEquals("I think it's fine.", examples.get(3).sentence());
        assertEquals("Possible Typo", examples.get(3).category());
        assertEquals(1, skips.count("incorrect example without a marker"));
    }

    @Test
    public void wordNetSplitsGlossesIntoDefinitionAndExamples() throws IOException {
        Skips skips = new Skips();
        List<WordNet.Synset> synsets = WordNet.parse(fixture("data.noun"), skips);
        assertEquals(2, synsets.size());
        assertEquals(List.of("abstraction", "abstract_entity"), synsets.get(0).words());
        assertEquals("a general concept formed by extracting common features from specific examples", synsets.get(0).definition());
        WordNet.Synset bank = synsets.get(1);
        assertEquals("n", bank.pos());
        assertEquals("sloping land (especially the slope beside a body of water)", bank.definition());
        assertEquals(List.of("they pulled the canoe up on the bank", "he sat on the bank of the river and watched the currents"),
                bank.examples());
        assertEquals(1, skips.count(WordNet.MALFORMED));
    }

    @Test
    public void brownReadsTaggedSentencesAndCoarseTags() throws IOException {
        Skips skips = new Skips();
        List<List<Brown.Token>> sentences = Brown.parse(fixture("ca01"), skips);
        assertEquals(2, sentences.size());
        Brown.Token county = sentences.get(0).get(2);
        assertEquals("County", county.word());
        assertEquals("noun", county.coarse());
        assertEquals("verb", sentences.get(0).get(5).coarse());
        assertEquals("determiner", sentences.get(0).get(0).coarse());
        assertTrue(Brown.text(sentences.get(0)).contains("produced \"no evidence\" that"));
        assertEquals(1, skips.count(Brown.UNTAGGED));
    }

    @Test
    public void fortunesSplitAtPercentLines() throws IOException {
        Skips skips = new Skips();
        List<String> quotes = Fortunes.parse(fixture("fortunes-science"), skips);
        assertEquals(2, quotes.size());
        assertTrue(quotes.get(1).endsWith("-- Donald Knuth"));
        assertEquals(1, skips.count("empty fortune"));
    }

    @Test
    public void bibleDumpJoinsPoetryLinesAndNamesNumberedBooks() throws IOException {
        Map<BibleVerses.Reference, String> verses = BibleVerses.parse(fixture("bible-dump.txt"), new Skips());
        assertEquals(4, verses.size());
        assertEquals("Yahweh is my shepherd: I shall lack nothing.", verses.get(new BibleVerses.Reference("Psalms", 23, 1)));
        assertTrue(verses.containsKey(new BibleVerses.Reference("1 John", 4, 8)));
    }

    @Test
    public void europarlKeepsWellFormedLinesAndTellsEnglish() throws IOException {
        Skips skips = new Skips();
        List<Europarl.Debate> debates = Europarl.parse(fixture("europarl.lines.txt"), skips);
        assertEquals(2, debates.size());
        assertTrue(Europarl.isEnglish(debates.get(0).body()));
        assertFalse(Europarl.isEnglish(debates.get(1).body()));
        assertEquals(1, skips.total());
    }

    @Test
    public void jsonRecordsReadSpeechesAndMailsAndSkipTheRest() {
        Skips skips = new Skips();
        assertEquals(1790, JsonRecords.speech("{\"year\":1790,\"name\":\"George Washington\",\"party\":\"none\",\"text\":\"Fellow-Citizens\"}", skips)
                .orElseThrow().year());
        assertEquals("spam-1", JsonRecords.mail("{\"id\":\"1\",\"group\":\"spam-1\",\"text\":\"From: a\\n\\nb\"}", skips).orElseThrow().group());
        assertTrue(JsonRecords.speech("{\"year\":1790", skips).isEmpty());
        assertTrue(JsonRecords.mail("[1,2]", skips).isEmpty());
        assertEquals(2, skips.total());
    }
}
