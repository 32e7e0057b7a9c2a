package org.expertlm.retrieval.internal;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

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
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.MultiBits;
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
import org.apache.lucene.util.Bits;

/**
 * The Expert Library in Lucene: one document per library instance, with its expert's id and version, cluster
 * and kind, its template, its text (stored, and indexed for BM25) and its sentence vector (HNSW, cosine). An
 * expert's documents are replaced as a whole and every change is committed, so that a reader never sees half
 * an expert.
 */
final class LibraryIndex implements Closeable {

    /** The index's format, kept in its commit data: an index of another format is rebuilt, never read. */
    static final String FORMAT = "elm-library-index/1";
    static final String EXPERT = "expert";
    static final String VERSION = "version";
    static final String CLUSTER = "cluster";
    static final String KIND = "kind";
    static final String TEMPLATE = "template";
    static final String TEXT = "text";
    static final String VECTOR = "vector";
    /** BM25 queries longer than this many terms are cut (a prompted input can be a whole document). */
    private static final int MAX_QUERY_TERMS = 512;

    /** One library instance: its template, its text and that text's vector. */
    record Entry(String template, String text, float[] vector) {

        Entry {
            Objects.requireNonNull(template, "template");
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(vector, "vector");
        }
    }

    /** A library instance a query found, with its score (cosine similarity for dense search, BM25's for text). */
    record Hit(String expertId, String version, String template, String text, float score) {
    }

    private final Analyzer analyzer = new StandardAnalyzer();
    private final IndexWriter writer;
    private final SearcherManager searchers;

    LibraryIndex(Directory directory) throws IOException {
        IndexWriterConfig config = new IndexWriterConfig(analyzer).setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
        this.writer = new IndexWriter(directory, config);
        writer.setLiveCommitData(List.of(Map.entry("format", FORMAT)));
        writer.commit();
        this.searchers = new SearcherManager(writer, null);
    }

    /** Puts an expert's library in place of what the index held for its id, committed. */
    void put(String expertId, String version, String cluster, String kind, List<Entry> entries) throws IOException {
        List<Document> documents = new ArrayList<>();
        for (Entry e : entries) {
            Document d = new Document();
            d.add(new StringField(EXPERT, expertId, Field.Store.YES));
            d.add(new StoredField(VERSION, version));
            d.add(new StringField(CLUSTER, cluster, Field.Store.YES));
            d.add(new StringField(KIND, kind, Field.Store.YES));
            d.add(new StoredField(TEMPLATE, e.template()));
            d.add(new TextField(TEXT, e.text(), Field.Store.YES));
            d.add(new KnnFloatVectorField(VECTOR, e.vector(), VectorSimilarityFunction.COSINE));
            documents.add(d);
        }
        writer.updateDocuments(new Term(EXPERT, expertId), documents);
        commit();
    }

    /** Takes an expert's library out, committed. */
    void remove(String expertId) throws IOException {
        writer.deleteDocuments(new Term(EXPERT, expertId));
        commit();
    }

    /** The {@code k} library instances nearest to {@code vector}, best first. */
    List<Hit> dense(float[] vector, int k) throws IOException {
        return search(new KnnFloatVectorQuery(VECTOR, vector, k), k, true);
    }

    /** The {@code k} library instances whose text BM25 scores highest for {@code text}, best first. */
    List<Hit> bm25(String text, int k) throws IOException {
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        int terms = 0;
        try (TokenStream tokens = analyzer.tokenStream(TEXT, text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken() && terms < MAX_QUERY_TERMS) {
                query.add(new TermQuery(new Term(TEXT, term.toString())), BooleanClause.Occur.SHOULD);
                terms++;
            }
            tokens.end();
        }
        return terms == 0 ? List.of() : search(query.build(), k, false);
    }

    /** The experts the index holds, id to version. */
    Map<String, String> experts() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            Map<String, String> experts = new TreeMap<>();
            IndexReader reader = searcher.getIndexReader();
            Bits live = MultiBits.getLiveDocs(reader);
            StoredFields fields = reader.storedFields();
            for (int doc = 0; doc < reader.maxDoc(); doc++) {
                if (live == null || live.get(doc)) {
                    Document d = fields.document(doc, Set.of(EXPERT, VERSION));
                    experts.put(d.get(EXPERT), d.get(VERSION));
                }
            }
            return experts;
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

    /** How many library instances the index holds. */
    int size() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return searcher.getIndexReader().numDocs();
        } finally {
            searchers.release(searcher);
        }
    }

    private List<Hit> search(Query query, int k, boolean cosine) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            List<Hit> hits = new ArrayList<>();
            for (ScoreDoc sd : searcher.search(query, k).scoreDocs) {
                Document d = searcher.storedFields().document(sd.doc);
                // Lucene scores a cosine match as (1 + cos) / 2; the vote reports the cosine itself.
                float score = cosine ? 2 * sd.score - 1 : sd.score;
                hits.add(new Hit(d.get(EXPERT), d.get(VERSION), d.get(TEMPLATE), d.get(TEXT), score));
            }
            return hits;
        } finally {
            searchers.release(searcher);
        }
    }

    /** The format a committed index in {@code directory} carries, or null when it has none (or no commit). */
    static String formatOf(Directory directory) throws IOException {
        if (!DirectoryReader.indexExists(directory)) {
            return null;
        }
        try (DirectoryReader reader = DirectoryReader.open(directory)) {
            return reader.getIndexCommit().getUserData().get("format");
        }
    }

    private void commit() throws IOException {
        writer.commit();
        searchers.maybeRefreshBlocking();
    }

    @Override
    public void close() throws IOException {
        searchers.close();
        writer.close();
    }
}
