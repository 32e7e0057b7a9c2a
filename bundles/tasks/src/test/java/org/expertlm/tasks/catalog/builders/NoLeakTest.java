package org.expertlm.tasks.catalog.builders;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.expertlm.tasks.catalog.BuildContext;
import org.expertlm.tasks.catalog.DatasetDefinition;
import org.expertlm.tasks.catalog.Record;
import org.expertlm.tasks.data.BibleDump;
import org.expertlm.tasks.data.DataFetcher;
import org.expertlm.tasks.parse.Skips;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The held-out clusters never leak into training tasks: proved on small fixture sources. */
public class NoLeakTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static DatasetDefinition definition(String dataset) {
        return DatasetDefinition.all().stream().filter(d -> d.dataset().equals(dataset)).findFirst().orElseThrow();
    }

    private List<Record> build(Path cache, String dataset) throws IOException {
        DatasetDefinition d = definition(dataset);
        return Builders.named(d.builder()).build(new BuildContext(cache, d, new Skips()));
    }

    private Path wordNetCache() throws IOException {
        Path cache = folder.getRoot().toPath();
        Path dir = Files.createDirectories(DataFetcher.sourceFolder(cache, "wordnet").resolve("net/sf/extjwnl/data/wordnet/wn31"));
        Files.writeString(dir.resolve("data.noun"), String.join("\n",
                "  1 licence header line",
                "09213565 17 n 01 bank 0 000 | sloping land beside a body of water; \"they pulled the canoe up on the bank\"; \"he sat on the bank of the river\"",
                "08437235 14 n 02 depository_financial_institution 0 bank 0 000 | a financial institution that accepts deposits; \"he cashed a check at the bank today\"",
                "04096066 06 n 01 boat 0 000 | a small vessel for travel on water",
                "03129123 06 n 01 canoe 0 000 | small and light boat; pointed at both ends",
                "02084071 05 n 01 dog 0 000 | a member of the genus Canis",
                "02121620 05 n 01 cat 0 000 | feline mammal usually having thick soft fur",
                "02402425 05 n 01 cattle 0 cows 0 000 | domesticated bovine animals", ""));
        for (String other : List.of("data.verb", "data.adj", "data.adv")) {
            Files.writeString(dir.resolve(other), "  1 licence header line\n");
        }
        return cache;
    }

    @Test
    public void wordSenseLemmasAreAbsentFromTheLexicalTasks() throws IOException {
        Path cache = wordNetCache();
        List<Record> wic = build(cache, "wordnet-word-sense");
        Set<String> lemmas = new HashSet<>();
        wic.forEach(r -> lemmas.add(r.text("word")));
        assertEquals(Set.of("bank"), lemmas);
        assertEquals("one same-sense and one different-sense pair", 2, wic.size());

        List<Record> definitions = build(cache, "wordnet-definition");
        List<Record> reverse = build(cache, "wordnet-reverse-dictionary");
        assertFalse(definitions.isEmpty());
        assertFalse(reverse.isEmpty());
        for (Record r : definitions) {
            assertFalse("definition task uses " + r.text("word"), lemmas.contains(r.text("word").toLowerCase(Locale.ROOT)));
        }
        assertTrue("the bank synset is defined through its other word",
                definitions.stream().anyMatch(r -> r.text("word").equals("depository financial institution")));
        for (Record r : reverse) {
            for (String option : r.list("options")) {
                assertFalse("reverse dictionary offers " + option, lemmas.contains(option.toLowerCase(Locale.ROOT)));
            }
        }
    }

    private Path bibleCache() throws IOException {
        Path cache = folder.getRoot().toPath();
        Files.createDirectories(cache.resolve("bible"));
        Files.writeString(BibleDump.dumpFile(cache, "engKJV2006eb"), String.join("\n",
                "Genesis 1:1: In the beginning God created the heaven and the earth.",
                "Genesis 1:2: And the earth was without form, and void.",
                "John 3:16: For God so loved the world, that he gave his only begotten Son.",
                "John 3:17: For God sent not his Son into the world to condemn the world.",
                "(engKJV2006eb)", ""));
        Files.writeString(BibleDump.dumpFile(cache, "engWEB2015eb"), String.join("\n",
                "Genesis 1:1: In the beginning, God created the heavens and the earth.",
                "Genesis 1:2: The earth was formless and empty.",
                "Tobit 1:1: The book of the words of Tobit, the son of Tobiel.",
                "John 3:16: For God so loved the world, that he gave his one and only Son.",
                "John 3:17: For God didn't send his Son into the world to judge the world.",
                "(engWEB2015eb)", ""));
        Files.writeString(BibleDump.dumpFile(cache, "spaRV1909eb"), String.join("\n",
                "Genesis 1:1: EN el principio crió Dios los cielos y la tierra.",
                "Genesis 1:2: Y la tierra estaba desordenada y vacía.",
                "John 3:16: Porque de tal manera amó Dios al mundo.",
                "(spaRV1909eb)", ""));
        return cache;
    }

    @Test
    public void theNewTestamentIsAbsentFromTranslationAndRewritingAndIsAllOfParaphrase() throws IOException {
        Path cache = bibleCache();
        for (String dataset : List.of("bible-en-es", "bible-archaic-modern")) {
            List<Record> records = build(cache, dataset);
            assertEquals(dataset, 2, records.size());
            for (Record r : records) {
                assertTrue(dataset + " uses " + r.id(), r.id().startsWith("Genesis"));
            }
        }
        List<Record> paraphrase = build(cache, "bible-paraphrase");
        assertFalse(paraphrase.isEmpty());
        for (Record r : paraphrase) {
            assertTrue("paraphrase uses " + r.id(), r.id().startsWith("John"));
        }
    }
}
