package org.expertlm.retrieval.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The index folder at start: an index of this format is kept; a foreign, older or unreadable one is rebuilt, never read. */
public class IndexFolderTest {

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void anIndexOfThisFormatIsKept() throws IOException {
        Path folder = temp.newFolder().toPath();
        try (Directory d = ExpertLibraryService.openTrusted(folder); LibraryIndex index = new LibraryIndex(d)) {
            index.put("a", "1.0.0", "c", "prompt", List.of(new LibraryIndex.Entry("a/t", "x", List.of("y", "n"), new float[] {1, 0})));
        }
        try (Directory d = ExpertLibraryService.openTrusted(folder); LibraryIndex index = new LibraryIndex(d)) {
            assertEquals(Map.of("a", "1.0.0"), index.experts());
        }
    }

    @Test
    public void aForeignIndexIsRebuilt() throws IOException {
        Path folder = temp.newFolder().toPath();
        try (Directory d = FSDirectory.open(folder); IndexWriter w = new IndexWriter(d, new IndexWriterConfig())) {
            Document doc = new Document();
            doc.add(new StringField(LibraryIndex.EXPERT, "ghost", Field.Store.YES));
            w.addDocument(doc);
            w.setLiveCommitData(List.of(Map.entry("format", "elm-library-index/1")));
            w.commit();
        }
        try (Directory d = ExpertLibraryService.openTrusted(folder); LibraryIndex index = new LibraryIndex(d)) {
            assertEquals("the old index's documents are gone", Map.of(), index.experts());
            assertEquals(LibraryIndex.FORMAT, LibraryIndex.formatOf(d));
        }
    }

    @Test
    public void anUnreadableIndexIsRebuilt() throws IOException {
        Path folder = temp.newFolder().toPath();
        try (Directory d = ExpertLibraryService.openTrusted(folder); LibraryIndex index = new LibraryIndex(d)) {
            index.put("a", "1.0.0", "c", "prompt", List.of(new LibraryIndex.Entry("a/t", "x", List.of("y", "n"), new float[] {1, 0})));
        }
        Path segments;
        try (Stream<Path> files = Files.list(folder)) {
            segments = files.filter(f -> f.getFileName().toString().startsWith("segments_")).findFirst().orElseThrow();
        }
        Files.write(segments, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        try (Directory d = ExpertLibraryService.openTrusted(folder); LibraryIndex index = new LibraryIndex(d)) {
            assertEquals(Map.of(), index.experts());
            assertEquals(0, index.size());
        }
        try (Stream<Path> files = Files.list(folder)) {
            assertFalse("the corrupt commit is deleted", files.anyMatch(f -> f.equals(segments) && sizeIs(f, 8)));
        }
    }

    private static boolean sizeIs(Path f, long size) {
        try {
            return Files.size(f) == size;
        } catch (IOException e) {
            return false;
        }
    }
}
