package org.expertlm.retrieval.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.IOUtils;
import org.expertlm.api.Retriever.Format;

/**
 * The Expert Library in Lucene: one document per library instance and text format, with its expert's id and
 * version, cluster and kind, its template, its text in that format (stored, and indexed for BM25) and, once
 * computed, that text's sentence vector (HNSW, cosine). The label_instance vectors come with the expert; those of
 * the other formats are added when a retrieval first asks for them ({@link #lacking}, {@link #vectorise}). An
 * expert's documents are replaced as a whole and every change is committed, so that a reader never sees half an
 * expert.
 */
final class LibraryIndex implements Closeable {

    /** The index's format, kept in its commit data: an index of another format is rebuilt, never read. */
    static final String FORMAT = "elm-library-index/4";
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
    /** Candidates a dense search keeps while it walks the HNSW graph, however few it returns. */
    static final int CANDIDATES = 100;
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

    /**
     * Opens (or creates) the index in {@code directory}, recording this class's format and the encoder whose vectors
     * it holds in every commit.
     */
    LibraryIndex(Directory directory, String encoder) throws IOException {
        IndexWriterConfig config = new IndexWriterConfig(analyzer).setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
        this.writer = new IndexWriter(directory, config);
        try {
            writer.setLiveCommitData(List.of(Map.entry("format", FORMAT), Map.entry("encoder", encoder)));
            writer.commit();
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException | RuntimeException e) {
            writer.close(); // its lock with it, so that the folder can be rebuilt
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
        // A text field per format: BM25's word statistics are those of the format searched.
        d.add(new TextField(textField(format), text, Field.Store.YES));
        if (vector != null) {
            // A vector field per format: a search walks the one graph of its format, with no filter to apply.
            d.add(new KnnFloatVectorField(vectorField(format), vector, VectorSimilarityFunction.COSINE));
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

    /** Merges the index into one segment, committed: a dense search then walks one graph. */
    void compact() throws IOException {
        writer.forceMerge(1);
        commit();
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
        return documents(expertId, format).stream().map(d -> d.get(textField(format))).toList();
    }

    /**
     * Gives an expert's instances their vectors in {@code format}, one per text {@link #texts} listed, in that
     * order; committed.
     */
    void vectorise(String expertId, Format format, List<float[]> vectors) throws IOException {
        List<Document> stored = documents(expertId, format);
        if (stored.size() != vectors.size()) {
            throw new IllegalArgumentException(stored.size() + " library instances of " + expertId + " but " + vectors.size()
                    + " vectors");
        }
        List<Document> documents = new ArrayList<>();
        for (int i = 0; i < stored.size(); i++) {
            Document d = stored.get(i);
            documents.add(document(expertId, d.get(VERSION), d.get(CLUSTER), d.get(KIND), d.get(TEMPLATE), format,
                    d.getField(POSITION).numericValue().intValue(), d.get(textField(format)), vectors.get(i)));
        }
        // One atomic replacement: a failure leaves the old documents, never none.
        writer.updateDocuments(new Term(EXPERT_FORMAT, expertFormat(expertId, format)), documents);
        commit();
    }

    private List<Document> documents(String expertId, Format format) throws IOException {
        List<Document> documents = new ArrayList<>(all(new TermQuery(new Term(EXPERT_FORMAT, expertFormat(expertId, format))), null));
        documents.sort((a, b) -> Integer.compare(a.getField(POSITION).numericValue().intValue(),
                b.getField(POSITION).numericValue().intValue()));
        return documents;
    }

    /**
     * The {@code k} library instances nearest to {@code vector} in {@code format}, best first. The graph is searched
     * for at least {@link #CANDIDATES} of them: Lucene's HNSW search keeps only k candidates while it walks the
     * graph, and with k = 1 (the paper's) it missed the nearest instance for 38% of the queries of bench/retrieval.
     */
    List<Hit> dense(float[] vector, int k, Format format) throws IOException {
        return search(new KnnFloatVectorQuery(vectorField(format), vector, Math.max(k, CANDIDATES)), k, true, format);
    }

    /** {@link #dense(float[], int, Format)} for each vector, searched side by side (on the common pool), in order. */
    List<List<Hit>> dense(List<float[]> vectors, int k, Format format) throws IOException {
        return each(vectors, v -> dense(v, k, format));
    }

    /** {@link #bm25(String, int, Format)} for each text, searched side by side, in order. */
    List<List<Hit>> bm25(List<String> texts, int k, Format format) throws IOException {
        return each(texts, t -> bm25(t, k, format));
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
        Query query = new BooleanQuery.Builder().add(words.build(), BooleanClause.Occur.MUST)
                .add(new TermQuery(new Term(TEXT_FORMAT, format.key())), BooleanClause.Occur.FILTER).build();
        return search(query, k, false, format);
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
            List<Hit> hits = new ArrayList<>();
            for (ScoreDoc sd : searcher.search(query, k).scoreDocs) {
                Document d = searcher.storedFields().document(sd.doc, Set.of(EXPERT, VERSION, TEMPLATE, textField(format)));
                // Lucene scores a cosine match as (1 + cos) / 2; the vote reports the cosine itself.
                float score = cosine ? 2 * sd.score - 1 : sd.score;
                hits.add(new Hit(d.get(EXPERT), d.get(VERSION), d.get(TEMPLATE), d.get(textField(format)), score));
            }
            return hits;
        } finally {
            searchers.release(searcher);
        }
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
        IOUtils.close(searchers, writer);
    }
}
