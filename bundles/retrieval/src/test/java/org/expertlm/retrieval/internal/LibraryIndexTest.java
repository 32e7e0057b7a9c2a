package org.expertlm.retrieval.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.expertlm.api.Retriever.Format;
import org.junit.Test;

/** The Lucene library: dense and BM25 search over experts' instances, an expert replaced or removed as a whole. */
public class LibraryIndexTest {

    private static final String ENCODER = "test-encoder@sha256:0";

    private static final int DIMENSION = 16;

    @Test
    public void denseSearchFindsTheNearestInstancesAndReportsTheirCosine() throws IOException {
        try (Directory directory = new ByteBuffersDirectory(); LibraryIndex index = new LibraryIndex(directory, ENCODER)) {
            float[] north = axis(0);
            float[] east = axis(1);
            index.put("a", "1.0.0", "sentiment", "prompt", List.of(entry("a/t", "north", north)));
            index.put("b", "1.0.0", "topic", "prompt", List.of(entry("b/t", "east", east),
                    entry("b/t", "north-east", normalised(new float[] {1, 1}))));
            List<LibraryIndex.Hit> hits = index.dense(north, 3, Format.LABEL_INSTANCE);
            assertEquals(List.of("a", "b", "b"), hits.stream().map(LibraryIndex.Hit::expertId).toList());
            assertEquals(1.0, hits.get(0).score(), 1e-6);
            assertEquals(Math.sqrt(0.5), hits.get(1).score(), 1e-6);
            assertEquals(0.0, hits.get(2).score(), 1e-6);
            assertEquals("Answer Choices: yes, no, Instance: north-east", hits.get(1).text());
            assertEquals(LibraryIndex.FORMAT, LibraryIndex.formatOf(directory));
        }
    }

    @Test
    public void vectorsOfAnyLengthAreComparedByTheirDirectionAndOneWithoutAnyIsRefused() throws IOException {
        for (int exactUpTo : new int[] {LibraryIndex.EXACT_UP_TO, 0}) {
            try (Directory directory = new ByteBuffersDirectory();
                    LibraryIndex index = new LibraryIndex(directory, ENCODER, exactUpTo)) {
                index.put("a", "1.0.0", "sentiment", "prompt", List.of(entry("a/t", "north", scaled(axis(0), 3))));
                index.put("b", "1.0.0", "topic", "prompt",
                        List.of(entry("b/t", "north-east", scaled(new float[] {1, 1}, 0.2f))));
                List<LibraryIndex.Hit> hits = index.dense(scaled(axis(0), 5), 2, Format.LABEL_INSTANCE);
                assertEquals(List.of("a", "b"), hits.stream().map(LibraryIndex.Hit::expertId).toList());
                assertEquals("the cosine, whatever the lengths", 1.0, hits.get(0).score(), 1e-6);
                assertEquals(Math.sqrt(0.5), hits.get(1).score(), 1e-6);

                List<LibraryIndex.Entry> withZero = List.of(entry("a/t", "north", axis(0)),
                        entry("a/t", "nowhere", new float[DIMENSION]));
                IllegalArgumentException put = assertThrows(IllegalArgumentException.class,
                        () -> index.put("a", "1.1.0", "sentiment", "prompt", withZero));
                assertEquals("library instance 1 of a has a vector of length 0.0; expected a finite, non-zero sentence "
                        + "vector: embed its text again", put.getMessage());
                IllegalArgumentException vectorise = assertThrows(IllegalArgumentException.class,
                        () -> index.vectorise("b", Format.INSTANCE, List.of(new float[DIMENSION])));
                assertTrue(vectorise.getMessage(),
                        vectorise.getMessage().startsWith("library instance 0 of b has a vector of length 0.0"));
                assertEquals("nothing changed", Map.of("a", "1.0.0", "b", "1.0.0"), index.experts());
                assertEquals(2, index.size());
                assertEquals(Set.of("a", "b"), index.lacking(Format.INSTANCE));
            }
        }
    }

    @Test
    public void anExpertPutAgainReplacesItsInstancesAndARemovedOneIsGone() throws IOException {
        try (Directory directory = new ByteBuffersDirectory(); LibraryIndex index = new LibraryIndex(directory, ENCODER)) {
            index.put("a", "1.0.0", "sentiment", "prompt", entries(100, 1));
            index.put("b", "1.0.0", "topic", "dataset", entries(100, 2));
            assertEquals(200, index.size());
            index.put("a", "1.1.0", "sentiment", "prompt", entries(40, 3));
            assertEquals("the old version's instances are gone", 140, index.size());
            assertTrue(index.dense(axis(0), 140, Format.LABEL_INSTANCE).stream().filter(h -> h.expertId().equals("a"))
                    .allMatch(h -> h.version().equals("1.1.0")));
            assertEquals("1.1.0", index.versionOf("a"));
            assertEquals(Map.of("a", "1.1.0", "b", "1.0.0"), index.experts());
            index.remove("b");
            assertEquals(40, index.size());
            assertNull(index.versionOf("b"));
            assertTrue(index.dense(axis(0), 50, Format.LABEL_INSTANCE).stream().noneMatch(h -> h.expertId().equals("b")));
        }
    }

    @Test
    public void bm25FindsInstancesByTheirWords() throws IOException {
        try (Directory directory = new ByteBuffersDirectory(); LibraryIndex index = new LibraryIndex(directory, ENCODER)) {
            index.put("spam", "1.0.0", "spam", "prompt", List.of(new LibraryIndex.Entry("spam/yes-no",
                    "Is this spam? Win a free prize now", List.of("yes", "no"), axis(0))));
            index.put("genre", "1.0.0", "topic", "prompt", List.of(new LibraryIndex.Entry("brown-genre/which-genre",
                    "Which genre is this passage?", List.of("news", "fiction"), axis(1))));
            List<LibraryIndex.Hit> hits = index.bm25("claim your free prize", 2, Format.LABEL_INSTANCE);
            assertEquals("spam", hits.get(0).expertId());
            assertEquals("only instances sharing a word are found", 1, hits.size());
            assertEquals(List.of(), index.bm25("   ", 2, Format.LABEL_INSTANCE));
            assertEquals("the words of the choices are in label_instance text", "genre",
                    index.bm25("fiction", 1, Format.LABEL_INSTANCE).get(0).expertId());
            assertEquals("and not in instance text", List.of(), index.bm25("fiction", 1, Format.INSTANCE));
            assertEquals("Answer Choices: news ||| fiction, Instance: Which genre is this passage?",
                    index.bm25("fiction", 1, Format.CHOICE_INSTANCE).get(0).text());
        }
    }

    @Test
    public void anotherFormatsVectorsAreAddedLaterAndInstancesWithoutChoicesShareTheirVector() throws IOException {
        try (Directory directory = new ByteBuffersDirectory(); LibraryIndex index = new LibraryIndex(directory, ENCODER)) {
            index.put("cls", "1.0.0", "topic", "prompt", List.of(entry("cls/t", "north", axis(0)), entry("cls/t", "east", axis(1))));
            index.put("gen", "1.0.0", "titles", "prompt", List.of(new LibraryIndex.Entry("gen/t", "write a title", List.of(), axis(2))));
            assertEquals(3, index.size());
            assertEquals(Set.of("cls"), index.lacking(Format.INSTANCE));
            assertEquals("generation reads the same in every format", "gen", index.dense(axis(2), 1, Format.INSTANCE).get(0).expertId());
            assertEquals(List.of("Instance: north", "Instance: east"), index.texts("cls", Format.INSTANCE));
            assertTrue("nothing of cls is found in a format it has no vectors for",
                    index.dense(axis(0), 3, Format.INSTANCE).stream().noneMatch(h -> h.expertId().equals("cls")));
            index.vectorise("cls", Format.INSTANCE, List.of(axis(3), axis(4)));
            assertEquals(Set.of(), index.lacking(Format.INSTANCE));
            assertEquals(Set.of("cls"), index.lacking(Format.CHOICE_INSTANCE));
            LibraryIndex.Hit east = index.dense(axis(4), 1, Format.INSTANCE).get(0);
            assertEquals("Instance: east", east.text());
            assertEquals(1.0, east.score(), 1e-6);
            assertEquals("the label_instance vectors are untouched", "Answer Choices: yes, no, Instance: east",
                    index.dense(axis(1), 1, Format.LABEL_INSTANCE).get(0).text());
            assertEquals(3, index.size());
            index.put("cls", "1.1.0", "topic", "prompt", List.of(entry("cls/t", "north", axis(0))));
            assertEquals("a new version comes without them", Set.of("cls"), index.lacking(Format.INSTANCE));
        }
    }

    @Test
    public void theGraphSearchOfALargeLibraryFindsTheNearestInstancesToo() throws IOException {
        try (Directory directory = new ByteBuffersDirectory(); LibraryIndex index = new LibraryIndex(directory, ENCODER, 0)) {
            index.put("a", "1.0.0", "sentiment", "prompt", List.of(entry("a/t", "north", axis(0))));
            index.put("b", "1.0.0", "topic", "prompt", List.of(entry("b/t", "east", axis(1)),
                    entry("b/t", "north-east", normalised(new float[] {1, 1}))));
            List<LibraryIndex.Hit> hits = index.dense(axis(0), 3, Format.LABEL_INSTANCE);
            assertEquals(List.of("a", "b", "b"), hits.stream().map(LibraryIndex.Hit::expertId).toList());
            assertEquals(Math.sqrt(0.5), hits.get(1).score(), 1e-6);
        }
    }

    @Test
    public void aGraphOfAnotherShapeCompactedOnEveryCoreIsReadByAnIndexOfTheDefaultShape() throws IOException {
        List<LibraryIndex.Entry> a = entries(200, 11);
        List<LibraryIndex.Entry> b = entries(200, 12);
        List<float[]> queries = entries(20, 13).stream().map(LibraryIndex.Entry::labelInstanceVector).toList();
        try (Directory directory = new ByteBuffersDirectory()) {
            try (LibraryIndex index = new LibraryIndex(directory, ENCODER, 0, new LibraryIndex.Graph(8, 50, LibraryIndex.GRAPH_VECTORS))) {
                index.put("a", "1.0.0", "topic", "prompt", a);
                index.put("b", "1.0.0", "topic", "prompt", b);
                assertTrue("the index has several segments", index.segments() > 1);
                index.compact();
                assertEquals(1, index.segments());
            }
            try (LibraryIndex index = new LibraryIndex(directory, ENCODER, 0)) {
                List<List<LibraryIndex.Hit>> hits = index.dense(queries, 1, Format.LABEL_INSTANCE);
                for (int q = 0; q < queries.size(); q++) {
                    float best = Float.NEGATIVE_INFINITY;
                    for (LibraryIndex.Entry e : a) {
                        best = Math.max(best, dot(queries.get(q), e.labelInstanceVector()));
                    }
                    for (LibraryIndex.Entry e : b) {
                        best = Math.max(best, dot(queries.get(q), e.labelInstanceVector()));
                    }
                    assertEquals("the nearest of 400 instances, by brute force", best, hits.get(q).get(0).score(), 1e-5);
                }
            }
        }
    }

    @Test
    public void aCompactedLibraryIsAsFewGraphsAsHoldItsInstancesNoneLargerAndIsSearchedAcrossThemAll() throws IOException {
        List<List<LibraryIndex.Entry>> experts = new ArrayList<>();
        for (int e = 0; e < 40; e++) {
            experts.add(entries(30, 100 + e));
        }
        List<float[]> queries = entries(20, 40).stream().map(LibraryIndex.Entry::labelInstanceVector).toList();
        // Graphs of at most 100 vectors: forty experts of 30 instances, more segments than Lucene's policy leaves unmerged.
        try (Directory directory = new ByteBuffersDirectory();
                LibraryIndex index = new LibraryIndex(directory, ENCODER, 0, new LibraryIndex.Graph(8, 50, 100))) {
            for (int e = 0; e < experts.size(); e++) {
                index.put("e" + e, "1.0.0", "topic", "prompt", experts.get(e));
                assertTrue("no segment outgrows its graph as experts arrive: " + index.segmentVectors(Format.LABEL_INSTANCE),
                        index.segmentVectors(Format.LABEL_INSTANCE).stream().allMatch(n -> n <= 100));
            }
            index.remove("e3");
            assertTrue(index.compactable());
            index.compact();
            List<Integer> segments = index.segmentVectors(Format.LABEL_INSTANCE);
            assertEquals("39 experts of 30 in graphs of at most 100: 13 of 90 " + segments, Collections.nCopies(13, 90), segments);
            assertFalse("nothing left to compact", index.compactable());
            index.compact();
            assertEquals("a second compaction changes nothing", segments, index.segmentVectors(Format.LABEL_INSTANCE));
            List<List<LibraryIndex.Hit>> hits = index.dense(queries, 1, Format.LABEL_INSTANCE);
            for (int q = 0; q < queries.size(); q++) {
                float best = Float.NEGATIVE_INFINITY;
                String owner = null;
                for (int e = 0; e < experts.size(); e++) {
                    for (LibraryIndex.Entry entry : e == 3 ? List.<LibraryIndex.Entry>of() : experts.get(e)) {
                        float score = dot(queries.get(q), entry.labelInstanceVector());
                        if (score > best) {
                            best = score;
                            owner = "e" + e;
                        }
                    }
                }
                assertEquals("the nearest of every graph's instances, by brute force", best, hits.get(q).get(0).score(), 1e-5);
                assertEquals(owner, hits.get(q).get(0).expertId());
            }
            // An upgrade leaves deletions in a graph; another format's vectors, added expert by expert, keep each
            // expert's instances whole in one segment, so that no graph of any format outgrows the bound.
            index.put("e5", "1.1.0", "topic", "prompt", experts.get(5));
            assertTrue("an upgrade's deletions are compacted away", index.compactable());
            for (String id : index.lacking(Format.INSTANCE)) {
                index.vectorise(id, Format.INSTANCE, experts.get(Integer.parseInt(id.substring(1))).stream()
                        .map(LibraryIndex.Entry::labelInstanceVector).toList());
            }
            index.compact();
            for (Format format : List.of(Format.INSTANCE, Format.LABEL_INSTANCE)) {
                List<Integer> graphs = index.segmentVectors(format);
                assertTrue(format + " graphs of at most 100: " + graphs, graphs.stream().allMatch(n -> n <= 100));
                assertEquals(format + " " + graphs, 39 * 30, graphs.stream().mapToInt(Integer::intValue).sum());
            }
            assertFalse(index.compactable());
        }
    }

    @Test
    public void aLargerGraphIsSearchedWithMoreCandidates() {
        assertEquals(LibraryIndex.CANDIDATES, LibraryIndex.candidates(0));
        assertEquals(LibraryIndex.CANDIDATES, LibraryIndex.candidates(15_000));
        assertEquals("30k vectors, the targets' size", 69, LibraryIndex.candidates(30_000));
        assertEquals(400, LibraryIndex.candidates(1_000_000));
        assertTrue(LibraryIndex.candidates(1_000_000) > LibraryIndex.candidates(300_000));
        assertTrue(LibraryIndex.candidates(300_000) > LibraryIndex.CANDIDATES);
        assertEquals(LibraryIndex.MAX_CANDIDATES, LibraryIndex.candidates(Long.MAX_VALUE));
    }

    @Test
    public void exactSearchAgreesWithBruteForceAndBreaksTiesByExpertThenPositionWhateverTheSegments() throws IOException {
        try (Directory directory = new ByteBuffersDirectory(); LibraryIndex index = new LibraryIndex(directory, ENCODER)) {
            // "b" lands first (lower document numbers) and holds the same texts and vectors as "a".
            List<LibraryIndex.Entry> shared = entries(60, 7);
            index.put("b", "1.0.0", "topic", "dataset", shared);
            index.put("c", "1.0.0", "topic", "prompt", entries(300, 8));
            index.put("a", "1.0.0", "topic", "prompt", shared);
            index.put("d", "1.0.0", "topic", "prompt", entries(50, 9));
            index.remove("d");
            List<float[]> queries = entries(40, 10).stream().map(LibraryIndex.Entry::labelInstanceVector).toList();
            List<List<LibraryIndex.Hit>> before = index.dense(queries, 5, Format.LABEL_INSTANCE);
            assertTrue("the index has several segments", index.segments() > 1);
            for (int q = 0; q < queries.size(); q++) {
                List<LibraryIndex.Hit> hits = before.get(q);
                assertTrue("no removed expert", hits.stream().noneMatch(h -> h.expertId().equals("d")));
                float best = Float.NEGATIVE_INFINITY;
                for (LibraryIndex.Entry e : shared) {
                    best = Math.max(best, dot(queries.get(q), e.labelInstanceVector()));
                }
                for (LibraryIndex.Entry e : entries(300, 8)) {
                    best = Math.max(best, dot(queries.get(q), e.labelInstanceVector()));
                }
                assertEquals("the nearest instance, by brute force", best, hits.get(0).score(), 1e-5);
                for (int i = 1; i < hits.size(); i++) {
                    assertTrue("best first", hits.get(i - 1).score() >= hits.get(i).score());
                    if (hits.get(i - 1).score() == hits.get(i).score() && hits.get(i).text().equals(hits.get(i - 1).text())) {
                        assertTrue("a tie goes to the first expert by id", hits.get(i - 1).expertId().compareTo(hits.get(i).expertId()) < 0);
                    }
                }
                if (!hits.get(0).expertId().equals("c")) {
                    assertEquals("a shared nearest instance is a's, not b's", "a", hits.get(0).expertId());
                }
            }
            index.compact();
            assertEquals(1, index.segments());
            assertEquals("the same hits after the segments merged", before, index.dense(queries, 5, Format.LABEL_INSTANCE));
        }
    }

    @Test
    public void aSmallerLibrarySizeSearchesEachExpertsFirstInstancesOnlyInEveryMode() throws IOException {
        for (int exactUpTo : new int[] {LibraryIndex.EXACT_UP_TO, 0}) {
            try (Directory directory = new ByteBuffersDirectory(); LibraryIndex index = new LibraryIndex(directory, ENCODER, exactUpTo)) {
                // a's instance nearest to the query, and the only one with the word, is its third.
                index.put("a", "1.0.0", "topic", "prompt", List.of(entry("a/t", "one", axis(1)), entry("a/t", "two", axis(2)),
                        entry("a/t", "zebra", axis(0))));
                index.put("b", "1.0.0", "topic", "prompt", List.of(entry("b/t", "zebra three", normalised(new float[] {1, 1})),
                        entry("b/t", "four", axis(3))));
                assertEquals("a", index.dense(List.of(axis(0)), 1, Format.LABEL_INSTANCE, Integer.MAX_VALUE).get(0).get(0).expertId());
                List<LibraryIndex.Hit> firstTwo = index.dense(List.of(axis(0)), 1, Format.LABEL_INSTANCE, 2).get(0);
                assertEquals("b", firstTwo.get(0).expertId());
                assertEquals(Math.sqrt(0.5), firstTwo.get(0).score(), 1e-6);
                assertEquals(5, index.dense(List.of(axis(0)), 10, Format.LABEL_INSTANCE, 3).get(0).size());
                assertEquals(2, index.dense(List.of(axis(0)), 10, Format.LABEL_INSTANCE, 1).get(0).size());
                assertEquals(List.of("a", "b"), index.bm25(List.of("zebra"), 2, Format.LABEL_INSTANCE, 3).get(0).stream()
                        .map(LibraryIndex.Hit::expertId).toList());
                assertEquals(List.of("b"), index.bm25(List.of("zebra"), 2, Format.LABEL_INSTANCE, 2).get(0).stream()
                        .map(LibraryIndex.Hit::expertId).toList());
            }
        }
    }

    @Test
    public void anEmptyDirectoryHasNoFormat() throws IOException {
        try (Directory directory = new ByteBuffersDirectory()) {
            assertNull(LibraryIndex.formatOf(directory));
        }
    }

    private static List<LibraryIndex.Entry> entries(int n, long seed) {
        Random random = new Random(seed);
        List<LibraryIndex.Entry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] v = new float[DIMENSION];
            for (int d = 0; d < DIMENSION; d++) {
                v[d] = (float) random.nextGaussian();
            }
            out.add(entry("t", "instance " + i, normalised(v)));
        }
        return out;
    }

    private static float dot(float[] a, float[] b) {
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static LibraryIndex.Entry entry(String template, String input, float[] vector) {
        return new LibraryIndex.Entry(template, input, List.of("yes", "no"), vector);
    }

    private static float[] scaled(float[] head, float by) {
        float[] v = new float[DIMENSION];
        for (int i = 0; i < head.length; i++) {
            v[i] = head[i] * by;
        }
        return v;
    }

    private static float[] axis(int d) {
        float[] v = new float[DIMENSION];
        v[d] = 1;
        return v;
    }

    private static float[] normalised(float[] head) {
        float[] v = new float[DIMENSION];
        System.arraycopy(head, 0, v, 0, head.length);
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }
}
