package org.expertlm.retrieval.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

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
import org.apache.lucene.store.LockObtainFailedException;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The index folder at start: an index of this format is kept; a foreign, older or unreadable one is rebuilt, never read. */
public class IndexFolderTest {

    private static final String ENCODER = "test-encoder@sha256:0";

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    @Test
    public void anIndexOfThisFormatIsKept() throws IOException {
        Path folder = temp.newFolder().toPath();
        try (Directory d = ExpertLibraryService.openTrusted(folder, ENCODER); LibraryIndex index = new LibraryIndex(d, ENCODER)) {
            index.put("a", "1.0.0", "c", "prompt", List.of(new LibraryIndex.Entry("a/t", "x", List.of("y", "n"), new float[] {1, 0})));
        }
        try (Directory d = ExpertLibraryService.openTrusted(folder, ENCODER); LibraryIndex index = new LibraryIndex(d, ENCODER)) {
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
        try (Directory d = ExpertLibraryService.openTrusted(folder, ENCODER); LibraryIndex index = new LibraryIndex(d, ENCODER)) {
            assertEquals("the old index's documents are gone", Map.of(), index.experts());
            assertEquals(LibraryIndex.FORMAT, LibraryIndex.formatOf(d));
        }
    }

    @Test
    public void anIndexOfAnotherEncoderIsRebuilt() throws IOException {
        Path folder = temp.newFolder().toPath();
        try (Directory d = ExpertLibraryService.openTrusted(folder, ENCODER); LibraryIndex index = new LibraryIndex(d, ENCODER)) {
            index.put("a", "1.0.0", "c", "prompt", List.of(new LibraryIndex.Entry("a/t", "x", List.of("y", "n"), new float[] {1, 0})));
        }
        try (Directory d = ExpertLibraryService.openTrusted(folder, "other@sha256:1");
                LibraryIndex index = new LibraryIndex(d, "other@sha256:1")) {
            assertEquals("its vectors are not the installed encoder's", Map.of(), index.experts());
            assertEquals("other@sha256:1", LibraryIndex.encoderOf(d));
        }
    }

    @Test
    public void aLockAnotherWriterHoldsIsRefusedAndNothingIsDeleted() throws IOException {
        Path folder = temp.newFolder().toPath();
        try (Directory d = ExpertLibraryService.openTrusted(folder, ENCODER); LibraryIndex index = new LibraryIndex(d, ENCODER)) {
            index.put("a", "1.0.0", "c", "prompt", List.of(new LibraryIndex.Entry("a/t", "x", List.of("y", "n"), new float[] {1, 0})));
            try (Directory again = ExpertLibraryService.openTrusted(folder, ENCODER)) {
                assertThrows(LockObtainFailedException.class, () -> new LibraryIndex(again, ENCODER));
            }
            assertEquals("the open index still holds its expert", Map.of("a", "1.0.0"), index.experts());
        }
    }

    @Test
    public void anUnreadableIndexIsRebuilt() throws IOException {
        Path folder = temp.newFolder().toPath();
        try (Directory d = ExpertLibraryService.openTrusted(folder, ENCODER); LibraryIndex index = new LibraryIndex(d, ENCODER)) {
            index.put("a", "1.0.0", "c", "prompt", List.of(new LibraryIndex.Entry("a/t", "x", List.of("y", "n"), new float[] {1, 0})));
        }
        Path segments;
        try (Stream<Path> files = Files.list(folder)) {
            segments = files.filter(f -> f.getFileName().toString().startsWith("segments_")).findFirst().orElseThrow();
        }
        Files.write(segments, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        try (Directory d = ExpertLibraryService.openTrusted(folder, ENCODER); LibraryIndex index = new LibraryIndex(d, ENCODER)) {
            assertEquals(Map.of(), index.experts());
            assertEquals(0, index.size());
        }
    }
}
