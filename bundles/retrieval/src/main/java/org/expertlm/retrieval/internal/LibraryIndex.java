package org.expertlm.retrieval.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.IOUtils;
import org.apache.lucene.util.VectorUtil;
import org.expertlm.api.Retriever.Format;

/**
 * The Expert Library in Lucene: one document per library instance and text format, with its expert's id and
 * version, cluster and kind, its template, its text in that format (stored, and indexed for BM25) and, once
 * computed, that text's sentence vector (made a unit vector, so that the dot product Lucene scores is the cosine;
 * searched exactly in a library of up to {@link #EXACT_UP_TO}
 * vectors a format, by the HNSW graph in a larger one). The label_instance vectors come with the expert; those of
 * the other formats are added when a retrieval first asks for them ({@link #lacking}, {@link #vectorise}). An
 * expert's documents are replaced as a whole and every change is committed, so that a reader never sees half an
 * expert.
 */
final class LibraryIndex implements Closeable {

    /** The index's format, kept in its commit data: an index of another format is rebuilt, never read. */
    static final String FORMAT = "elm-library-index/6";
    static final String EXPERT = "expert";
    static final String VERSION = "version";
    static final String CLUSTER = "cluster";
    static final String KIND = "kind";
    static final String TEMPLATE = "template";
    static final String TEXT_FORMAT = "format";
    static final String POSITION = "position";
    /** An expert's documents of one format, replaced together when that format's vectors come. */
    static final String EXPERT_FORMAT = "expert-format";
    static final String TEXT = "text";
    static final String VECTOR = "vector";
    /** "yes" on a document whose vector is computed. */
    static final String VECTORED = "vectored";
    /** The fewest candidates a dense search keeps while it walks the HNSW graph ({@link #candidates(long)}). */
    static final int CANDIDATES = 50;
    /** The most candidates a dense search keeps in a graph. */
    static final int MAX_CANDIDATES = 1_000;
    /**
     * Links each vector of a graph keeps (Lucene's maxConn, whose default is 16). With 32 and a beam of 200
     * (bench/retrieval): at 30k vectors the same winner as exact search on every task in three runs (16 and 100: on
     * 42 of 43 in one), recall@1 0.997–0.9985 against 0.996, search 6.6–11.0 ms p50 against 8.7; at 300k and 400
     * candidates recall@1 0.974–0.981 against 0.972; twice the time to build.
     */
    static final int GRAPH_NEIGHBOURS = 32;
    /** Candidates for those links considered as a vector joins a graph (Lucene's beamWidth, whose default is 100). */
    static final int GRAPH_BEAM = 200;
    /**
     * Vectors a format's graph holds at most once merges have made it (a segment holds this many library instances
     * at most, {@link BoundedMerges}): a larger library is several graphs, each of them searched. One graph of a
     * million vectors found the nearest of 95% of bench/retrieval's queries however many candidates it kept (3,200:
     * 0.950); eleven of at most 100k, 99.2% with 400 candidates each.
     */
    static final int GRAPH_VECTORS = 100_000;
    /**
     * Up to this many vectors of a format, a dense search scores every one: the result is then exact and the same
     * whatever segments the index has (a graph's approximate result changes when segments merge), and at this size
     * it costs about what the graph search does (bench/retrieval).
     */
    static final int EXACT_UP_TO = 10_000;
    /** BM25 queries longer than this many terms are cut (a prompted input can be a whole document). */
    private static final int MAX_QUERY_TERMS = 512;

    /**
     * One library instance: its template, prompted input, answer choices (none for generation) and the vector of
     * its label_instance text.
     */
    record Entry(String template, String input, List<String> choices, float[] labelInstanceVector) {

        Entry {
            Objects.requireNonNull(template, "template");
            Objects.requireNonNull(input, "input");
            choices = List.copyOf(choices);
            Objects.requireNonNull(labelInstanceVector, "labelInstanceVector");
        }
    }

    /** A library instance a query found, with its score (cosine similarity for dense search, BM25's for text). */
    record Hit(String expertId, String version, String template, String text, float score) {
    }

    private final Analyzer analyzer = new StandardAnalyzer();
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final int exactUpTo;
    private final int graphVectors;
    /** The threads a compaction builds its graph on; null on one core. */
    private final ExecutorService merging;
    /** Each format's vectors as the last commit a dense search saw holds them, when exact search applies. */
    private final Map<Format, Vectors> exact = new ConcurrentHashMap<>();

    /**
     * Opens (or creates) the index in {@code directory}, recording this class's format and the encoder whose vectors
     * it holds in every commit.
     */
    LibraryIndex(Directory directory, String encoder) throws IOException {
        this(directory, encoder, EXACT_UP_TO);
    }

    /** As {@link #LibraryIndex(Directory, String)}, dense search exact up to {@code exactUpTo} vectors a format. */
    LibraryIndex(Directory directory, String encoder, int exactUpTo) throws IOException {
        this(directory, encoder, exactUpTo, Graph.DEFAULT);
    }

    /**
     * The shape of the HNSW graphs the index builds: {@code neighbours} links a vector keeps (Lucene's maxConn, twice
     * as many in the bottom layer), {@code beam} candidates considered for them as a vector is added, {@code vectors}
     * the most a graph holds once merged (a segment's library instances). A wider graph costs more to build and finds
     * more of the nearest vectors of a large library (bench/retrieval).
     */
    record Graph(int neighbours, int beam, int vectors) {

        static final Graph DEFAULT = new Graph(GRAPH_NEIGHBOURS, GRAPH_BEAM, GRAPH_VECTORS);

        Graph {
            if (neighbours < 1 || beam < 1 || vectors < 1) {
                throw new IllegalArgumentException("a graph needs at least one neighbour, a beam of one and room for one "
                        + "vector, not " + neighbours + ", " + beam + " and " + vectors);
            }
        }
    }

    /** As {@link #LibraryIndex(Directory, String, int)}, its graphs of the shape {@code graph}. */
    LibraryIndex(Directory directory, String encoder, int exactUpTo, Graph graph) throws IOException {
        this.exactUpTo = exactUpTo;
        this.graphVectors = graph.vectors();
        int cores = Runtime.getRuntime().availableProcessors();
        // A compaction builds the merged graph on every core: at a million vectors it is minutes of work.
        this.merging = cores > 1 ? Executors.newFixedThreadPool(cores, r -> {
            Thread t = new Thread(r, "elm-library-graph-merge");
            t.setDaemon(true);
            return t;
        }) : null;
        KnnVectorsFormat vectors = new Lucene99HnswVectorsFormat(graph.neighbours(), graph.beam(), merging == null ? 1 : cores,
                merging);
        IndexWriterConfig config = new IndexWriterConfig(analyzer).setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setMergePolicy(new BoundedMerges(new TieredMergePolicy(), documents(graph.vectors())))
                .setCodec(new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return vectors;
                    }
                });
        this.writer = new IndexWriter(directory, config);
        try {
            writer.setLiveCommitData(List.of(Map.entry("format", FORMAT), Map.entry("encoder", encoder)));
            writer.commit();
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException | RuntimeException e) {
            writer.close(); // its lock with it, so that the folder can be rebuilt
            if (merging != null) {
                merging.shutdownNow();
            }
            throw e;
        }
    }

    /**
     * Puts an expert's library in place of what the index held for its id, committed: every format's text, the
     * label_instance vectors, and the vectors of the other formats where their text is the label_instance one
     * (an instance without choices reads the same in every format).
     */
    void put(String expertId, String version, String cluster, String kind, List<Entry> entries) throws IOException {
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            String labelText = Format.LABEL_INSTANCE.text(e.input(), e.choices());
            for (Format format : Format.values()) {
                String text = format.text(e.input(), e.choices());
                float[] vector = text.equals(labelText) ? e.labelInstanceVector() : null;
                documents.add(document(expertId, version, cluster, kind, e.template(), format, i, text, vector));
            }
        }
        writer.updateDocuments(new Term(EXPERT, expertId), documents);
        commit();
    }

    private static Document document(String expertId, String version, String cluster, String kind, String template,
            Format format, int position, String text, float[] vector) {
        Document d = new Document();
        d.add(new StringField(EXPERT, expertId, Field.Store.YES));
        d.add(new StoredField(VERSION, version));
        d.add(new StringField(CLUSTER, cluster, Field.Store.YES));
        d.add(new StringField(KIND, kind, Field.Store.YES));
        d.add(new StoredField(TEMPLATE, template));
        d.add(new StringField(TEXT_FORMAT, format.key(), Field.Store.YES));
        d.add(new StringField(EXPERT_FORMAT, expertFormat(expertId, format), Field.Store.NO));
        d.add(new StoredField(POSITION, position));
        d.add(new IntPoint(POSITION, position)); // searchable: a retrieval may search each expert's first instances only
        // A text field per format: BM25's word statistics are those of the format searched.
        d.add(new TextField(textField(format), text, Field.Store.YES));
        if (vector != null) {
            // A vector field per format: a search walks the one graph of its format, with no filter to apply. Unit
            // vectors scored by their dot product: the cosine, in a third of Lucene's scalar cosine's arithmetic.
            d.add(new KnnFloatVectorField(vectorField(format), libraryUnit(vector, expertId, position),
                    VectorSimilarityFunction.DOT_PRODUCT));
            d.add(new StringField(VECTORED, "yes", Field.Store.NO));
        }
        return d;
    }

    private static String textField(Format format) {
        return TEXT + "." + format.key();
    }

    private static String vectorField(Format format) {
        return VECTOR + "." + format.key();
    }

    private static String expertFormat(String expertId, Format format) {
        return expertId + "\u0000" + format.key();
    }

    /** The documents of a segment that holds {@code instances} library instances: one a format. */
    private static long documents(long instances) {
        return instances * Format.values().length;
    }

    /**
     * Merges the index's segments, packed largest first, into segments of at most {@link Graph#vectors} library
     * instances each, committed: a dense search then walks few graphs, none of them larger (a segment already larger,
     * from a single expert's library, stays as it is).
     */
    void compact() throws IOException {
        writer.forceMerge(1); // BoundedMerges decides how many
        commit();
    }

    /**
     * Whether {@link #compact} would change the index: its segments could be fewer, or one of them holds deleted
     * documents.
     */
    boolean compactable() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
            long[] live = new long[leaves.size()];
            for (int i = 0; i < live.length; i++) {
                LeafReader leaf = leaves.get(i).reader();
                if (leaf.numDeletedDocs() > 0) {
                    return true;
                }
                live[i] = leaf.numDocs();
            }
            return BoundedMerges.pack(live, documents(graphVectors)).size() < live.length;
        } finally {
            searchers.release(searcher);
        }
    }

    /** How many segments the index has now. */
    int segments() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return searcher.getIndexReader().leaves().size();
        } finally {
            searchers.release(searcher);
        }
    }

    /** The vectors of {@code format} each segment holds now, in the index's order of segments. */
    List<Integer> segmentVectors(Format format) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            List<Integer> vectors = new ArrayList<>();
            for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                vectors.add(vectors(leaf, format));
            }
            return vectors;
        } finally {
            searchers.release(searcher);
        }
    }

    private static int vectors(LeafReaderContext leaf, Format format) throws IOException {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(vectorField(format));
        return values == null ? 0 : values.size();
    }

    /** Takes an expert's library out, committed. */
    void remove(String expertId) throws IOException {
        writer.deleteDocuments(new Term(EXPERT, expertId));
        commit();
    }

    /** The experts some of whose library instances have no vector yet in {@code format}. */
    Set<String> lacking(Format format) throws IOException {
        Query unvectored = new BooleanQuery.Builder()
                .add(new TermQuery(new Term(TEXT_FORMAT, format.key())), BooleanClause.Occur.FILTER)
                .add(new TermQuery(new Term(VECTORED, "yes")), BooleanClause.Occur.MUST_NOT).build();
        Set<String> experts = new TreeSet<>();
        for (Document d : all(unvectored, Set.of(EXPERT))) {
            experts.add(d.get(EXPERT));
        }
        return experts;
    }

    /** An expert's library instances' texts in {@code format}, in the library's order. */
    List<String> texts(String expertId, Format format) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return stored(searcher, expertId, format).stream().map(s -> s.document().get(textField(format))).toList();
        } finally {
            searchers.release(searcher);
        }
    }

    /**
     * Gives an expert's instances their vectors in {@code format}, one per text {@link #texts} listed, in that
     * order; committed.
     */
    void vectorise(String expertId, Format format, List<float[]> vectors) throws IOException {
        List<Document> documents = new ArrayList<>();
        IndexSearcher searcher = searchers.acquire();
        try {
            // Every format's documents of the expert are written again, the others' vectors as they were: a segment
            // then holds whole instances (all their formats), which is how BoundedMerges bounds a graph's vectors.
            for (Format f : Format.values()) {
                List<Stored> stored = stored(searcher, expertId, f);
                if (f == format && stored.size() != vectors.size()) {
                    throw new IllegalArgumentException(stored.size() + " library instances of " + expertId + " but "
                            + vectors.size() + " vectors");
                }
                for (int i = 0; i < stored.size(); i++) {
                    Document d = stored.get(i).document();
                    documents.add(document(expertId, d.get(VERSION), d.get(CLUSTER), d.get(KIND), d.get(TEMPLATE), f,
                            d.getField(POSITION).numericValue().intValue(), d.get(textField(f)),
                            f == format ? vectors.get(i) : stored.get(i).vector()));
                }
            }
        } finally {
            searchers.release(searcher);
        }
        // One atomic replacement: a failure leaves the old documents, never none.
        writer.updateDocuments(new Term(EXPERT, expertId), documents);
        commit();
    }

    /** A stored document and its vector (null while it has none). */
    private record Stored(Document document, float[] vector) {
    }

    /** An expert's documents in {@code format} as {@code searcher} sees them, with their vectors, in the library's order. */
    private static List<Stored> stored(IndexSearcher searcher, String expertId, Format format) throws IOException {
        Query query = new TermQuery(new Term(EXPERT_FORMAT, expertFormat(expertId, format)));
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        StoredFields fields = searcher.storedFields();
        List<Stored> stored = new ArrayList<>();
        for (ScoreDoc sd : searcher.search(query, Math.max(1, searcher.count(query))).scoreDocs) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
            FloatVectorValues values = leaf.reader().getFloatVectorValues(vectorField(format));
            int doc = sd.doc - leaf.docBase;
            float[] vector = values != null && values.advance(doc) == doc ? values.vectorValue().clone() : null;
            stored.add(new Stored(fields.document(sd.doc), vector));
        }
        stored.sort(Comparator.comparingInt(s -> s.document().getField(POSITION).numericValue().intValue()));
        return stored;
    }

    /**
     * The {@code k} library instances nearest to {@code vector} in {@code format}, best first: exactly, every
     * vector scored, while the format holds at most {@link #exactUpTo} vectors; by the HNSW graph above that.
     */
    List<Hit> dense(float[] vector, int k, Format format) throws IOException {
        return dense(List.of(vector), k, format).get(0);
    }

    /** {@link #dense(float[], int, Format)} for each vector, searched side by side (on the common pool), in order. */
    List<List<Hit>> dense(List<float[]> vectors, int k, Format format) throws IOException {
        return dense(vectors, k, format, Integer.MAX_VALUE);
    }

    /**
     * {@link #dense(List, int, Format)} over the first {@code perExpert} library instances of each expert only (the
     * paper's S, the library's size per expert, made smaller).
     */
    List<List<Hit>> dense(List<float[]> vectors, int k, Format format, int perExpert) throws IOException {
        return dense(vectors, k, format, perExpert, 0);
    }

    /**
     * {@link #dense(List, int, Format, int)}, the graph searched with {@code candidates} candidates instead of
     * {@link #candidates(long)}'s when it is positive (bench/retrieval measures recall against it).
     */
    List<List<Hit>> dense(List<float[]> vectors, int k, Format format, int perExpert, int candidates) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            long count = count(searcher, format);
            Vectors all = count <= exactUpTo ? vectors(searcher, format) : null;
            if (all != null) {
                return each(vectors, v -> all.nearest(searcher, v, k, format, perExpert));
            }
            // Each segment's graph is searched with this many: what it takes grows with the library, whatever its graphs.
            int kept = Math.max(k, candidates > 0 ? candidates : candidates(count));
            Query first = firstInstances(perExpert);
            return each(vectors, v -> hits(searcher, searcher.search(new KnnFloatVectorQuery(vectorField(format),
                    unit(v), kept, first), k).scoreDocs, true, format));
        } finally {
            searchers.release(searcher);
        }
    }

    /**
     * Candidates a dense search of a library of {@code vectors} vectors keeps while it walks each of its graphs,
     * however few it returns: two fifths of the square root of the library's size, at least {@link #CANDIDATES} (69
     * at 30k vectors, 126 at 100k, 219 at 300k, 400 at a million). Lucene's HNSW search keeps only k candidates, and
     * with k = 1 (the paper's) it missed the nearest instance for 38% of the queries of bench/retrieval; the same
     * number finds less of a larger library, whatever its graphs. Fitted to bench/retrieval's recall@1 against exact
     * search (2026-12-06 and 07): at 30k 0.9935–0.9956 with 50 candidates, 0.9978–0.9985 with 100; at 100k 0.988
     * with 100; at 300k 0.992–0.995 with 200; at a million 0.987 and 0.992 with 400 in two builds, 0.977–0.983
     * with 100 to 333.
     */
    static int candidates(long vectors) {
        return (int) Math.min(MAX_CANDIDATES, Math.max(CANDIDATES, Math.round(Math.sqrt(vectors) * 2 / 5)));
    }

    /** How many vectors of {@code format} {@code searcher} sees. */
    private static long count(IndexSearcher searcher, Format format) throws IOException {
        long count = 0;
        for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
            count += vectors(leaf, format);
        }
        return count;
    }

    /** The vectors of {@code format} that {@code searcher} sees, for exact search; read once per commit. */
    private Vectors vectors(IndexSearcher searcher, Format format) throws IOException {
        DirectoryReader reader = (DirectoryReader) searcher.getIndexReader();
        String field = vectorField(format);
        Vectors cached = exact.get(format);
        if (cached != null && cached.version() == reader.getVersion()) {
            return cached;
        }
        Vectors read = Vectors.read(reader, field);
        exact.put(format, read);
        return read;
    }

    /**
     * One commit's vectors of one format for exact search: each live document's (unit) vector, with its
     * expert and position, which break ties of score. Ties are common (experts share library texts: a dataset
     * expert holds its templates' instances), and ordering them by document number would make a result depend on
     * how the index's segments happened to merge.
     */
    private record Vectors(long version, int[] docs, String[] experts, int[] positions, float[][] vectors) {

        static Vectors read(DirectoryReader reader, String field) throws IOException {
            List<Integer> docs = new ArrayList<>();
            List<float[]> vectors = new ArrayList<>();
            for (LeafReaderContext leaf : reader.leaves()) {
                FloatVectorValues values = leaf.reader().getFloatVectorValues(field);
                Bits live = leaf.reader().getLiveDocs();
                if (values == null) {
                    continue;
                }
                for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
                    if (live == null || live.get(doc)) {
                        docs.add(leaf.docBase + doc);
                        // Unit vectors as indexed; copied, since the reader reuses its array.
                        vectors.add(values.vectorValue().clone());
                    }
                }
            }
            StoredFields stored = reader.storedFields();
            String[] experts = new String[docs.size()];
            int[] positions = new int[docs.size()];
            for (int i = 0; i < docs.size(); i++) {
                Document d = stored.document(docs.get(i), Set.of(EXPERT, POSITION));
                experts[i] = d.get(EXPERT);
                positions[i] = d.getField(POSITION).numericValue().intValue();
            }
            return new Vectors(reader.getVersion(), docs.stream().mapToInt(Integer::intValue).toArray(), experts,
                    positions, vectors.toArray(float[][]::new));
        }

        /**
         * The k nearest by cosine among each expert's first {@code perExpert} instances, best first; equal scores in
         * the order of expert id, then position.
         */
        List<Hit> nearest(IndexSearcher searcher, float[] query, int k, Format format, int perExpert) throws IOException {
            float[] q = unit(query);
            int[] best = new int[Math.min(k, docs.length)];
            float[] scores = new float[best.length];
            int kept = 0;
            for (int i = 0; i < docs.length; i++) {
                if (positions[i] >= perExpert) {
                    continue;
                }
                float score = VectorUtil.dotProduct(q, vectors[i]);
                if (kept == best.length && !before(score, i, scores[kept - 1], best[kept - 1])) {
                    continue;
                }
                int at = kept == best.length ? kept - 1 : kept++;
                while (at > 0 && before(score, i, scores[at - 1], best[at - 1])) {
                    best[at] = best[at - 1];
                    scores[at] = scores[at - 1];
                    at--;
                }
                best[at] = i;
                scores[at] = score;
            }
            ScoreDoc[] found = new ScoreDoc[kept];
            for (int j = 0; j < kept; j++) {
                // In Lucene's own scale for a cosine match, (1 + cos) / 2, as the graph search gives it.
                found[j] = new ScoreDoc(docs[best[j]], (1 + scores[j]) / 2);
            }
            return hits(searcher, found, true, format);
        }

        private boolean before(float score, int i, float otherScore, int other) {
            if (score != otherScore) {
                return score > otherScore;
            }
            int byExpert = experts[i].compareTo(experts[other]);
            return byExpert != 0 ? byExpert < 0 : positions[i] < positions[other];
        }

    }

    /** {@code vector} scaled to length 1 (a zero vector stays zero: its dot product with any is 0). */
    private static float[] unit(float[] vector) {
        double length = length(vector);
        float[] unit = new float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            unit[i] = length == 0 ? 0 : (float) (vector[i] / length);
        }
        return unit;
    }

    /** A library vector as {@link #unit}; one of length 0 or not finite is refused, since it has no direction. */
    private static float[] libraryUnit(float[] vector, String expertId, int position) {
        double length = length(vector);
        if (!(length > 0) || !Double.isFinite(length)) {
            throw new IllegalArgumentException("library instance " + position + " of " + expertId + " has a vector of "
                    + "length " + length + "; expected a finite, non-zero sentence vector: embed its text again");
        }
        return unit(vector);
    }

    /** Euclidean length, in double: a float sum of squares can underflow to 0 or overflow for a valid vector. */
    private static double length(float[] vector) {
        double squares = 0;
        for (float x : vector) {
            squares += (double) x * x;
        }
        return Math.sqrt(squares);
    }

    /** {@link #bm25(String, int, Format)} for each text, searched side by side, in order. */
    List<List<Hit>> bm25(List<String> texts, int k, Format format) throws IOException {
        return bm25(texts, k, format, Integer.MAX_VALUE);
    }

    /** {@link #bm25(List, int, Format)} over the first {@code perExpert} library instances of each expert only. */
    List<List<Hit>> bm25(List<String> texts, int k, Format format, int perExpert) throws IOException {
        return each(texts, t -> bm25(t, k, format, perExpert));
    }

    /** The documents of each expert's first {@code perExpert} library instances; null for all of them. */
    private static Query firstInstances(int perExpert) {
        return perExpert == Integer.MAX_VALUE ? null : IntPoint.newRangeQuery(POSITION, 0, perExpert - 1);
    }

    private interface Search<T> {
        List<Hit> apply(T query) throws IOException;
    }

    private static <T> List<List<Hit>> each(List<T> queries, Search<T> search) throws IOException {
        try {
            return queries.parallelStream().map(q -> {
                try {
                    return search.apply(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The {@code k} library instances whose text in {@code format} BM25 scores highest for {@code text}, best first. */
    List<Hit> bm25(String text, int k, Format format) throws IOException {
        return bm25(text, k, format, Integer.MAX_VALUE);
    }

    private List<Hit> bm25(String text, int k, Format format, int perExpert) throws IOException {
        BooleanQuery.Builder words = new BooleanQuery.Builder();
        int terms = 0;
        String field = textField(format);
        try (TokenStream tokens = analyzer.tokenStream(field, text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken() && terms < MAX_QUERY_TERMS) {
                words.add(new TermQuery(new Term(field, term.toString())), BooleanClause.Occur.SHOULD);
                terms++;
            }
            tokens.end();
        }
        if (terms == 0) {
            return List.of();
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(words.build(), BooleanClause.Occur.MUST)
                .add(new TermQuery(new Term(TEXT_FORMAT, format.key())), BooleanClause.Occur.FILTER);
        Query first = firstInstances(perExpert);
        if (first != null) {
            query.add(first, BooleanClause.Occur.FILTER);
        }
        return search(query.build(), k, false, format);
    }

    /** The experts the index holds, id to version. */
    Map<String, String> experts() throws IOException {
        Map<String, String> experts = new TreeMap<>();
        for (Document d : all(new TermQuery(new Term(TEXT_FORMAT, Format.LABEL_INSTANCE.key())), Set.of(EXPERT, VERSION))) {
            experts.put(d.get(EXPERT), d.get(VERSION));
        }
        return experts;
    }

    /** The stored fields ({@code fields}, or all when null) of every live document {@code query} matches. */
    private List<Document> all(Query query, Set<String> fields) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            int count = Math.max(1, searcher.count(query));
            List<Document> documents = new ArrayList<>();
            StoredFields stored = searcher.storedFields();
            for (ScoreDoc sd : searcher.search(query, count).scoreDocs) {
                documents.add(fields == null ? stored.document(sd.doc) : stored.document(sd.doc, fields));
            }
            return documents;
        } finally {
            searchers.release(searcher);
        }
    }

    /** The version of {@code expertId} the index holds, or null. */
    String versionOf(String expertId) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            ScoreDoc[] found = searcher.search(new TermQuery(new Term(EXPERT, expertId)), 1).scoreDocs;
            return found.length == 0 ? null : searcher.storedFields().document(found[0].doc, Set.of(VERSION)).get(VERSION);
        } finally {
            searchers.release(searcher);
        }
    }

    /** How many library instances the index holds (each once, whatever the formats). */
    int size() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return searcher.count(new TermQuery(new Term(TEXT_FORMAT, Format.LABEL_INSTANCE.key())));
        } finally {
            searchers.release(searcher);
        }
    }

    private List<Hit> search(Query query, int k, boolean cosine, Format format) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return hits(searcher, searcher.search(query, k).scoreDocs, cosine, format);
        } finally {
            searchers.release(searcher);
        }
    }

    private static List<Hit> hits(IndexSearcher searcher, ScoreDoc[] found, boolean cosine, Format format) throws IOException {
        List<Hit> hits = new ArrayList<>();
        StoredFields stored = searcher.storedFields();
        for (ScoreDoc sd : found) {
            Document d = stored.document(sd.doc, Set.of(EXPERT, VERSION, TEMPLATE, textField(format)));
            // Lucene scores the dot product of unit vectors, the cosine, as (1 + cos) / 2; the vote reports the cosine.
            float score = cosine ? 2 * sd.score - 1 : sd.score;
            hits.add(new Hit(d.get(EXPERT), d.get(VERSION), d.get(TEMPLATE), d.get(textField(format)), score));
        }
        return hits;
    }

    /** The format a committed index in {@code directory} carries, or null when it has none (or no commit). */
    static String formatOf(Directory directory) throws IOException {
        return commitData(directory, "format");
    }

    /** The encoder whose vectors a committed index in {@code directory} holds, or null when it records none. */
    static String encoderOf(Directory directory) throws IOException {
        return commitData(directory, "encoder");
    }

    private static String commitData(Directory directory, String key) throws IOException {
        if (!DirectoryReader.indexExists(directory)) {
            return null;
        }
        try (DirectoryReader reader = DirectoryReader.open(directory)) {
            return reader.getIndexCommit().getUserData().get(key);
        }
    }

    private void commit() throws IOException {
        writer.commit();
        searchers.maybeRefreshBlocking();
    }

    @Override
    public void close() throws IOException {
        try {
            IOUtils.close(searchers, writer);
        } finally {
            if (merging != null) {
                merging.shutdownNow();
            }
        }
    }
}
