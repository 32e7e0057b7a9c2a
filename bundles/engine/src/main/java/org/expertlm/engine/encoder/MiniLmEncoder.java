package org.expertlm.engine.encoder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;

import org.expertlm.engine.direct.BertLayer;
import org.expertlm.engine.direct.ModelWeights;
import org.expertlm.engine.direct.Norm;
import org.expertlm.engine.direct.Scratch;
import org.expertlm.engine.onnx.OnnxWeights;
import org.expertlm.engine.tensor.FloatTensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * all-MiniLM-L6-v2: a post-layer-norm BERT encoder (6 layers, hidden 384, 12 heads, exact GELU,
 * layer-norm epsilon 1e-12) followed by mean pooling over the real tokens and L2 normalisation, run
 * directly through ND4J's operations (see {@link org.expertlm.engine.direct}): a batch's real tokens
 * packed as rows, each sequence attending over its own tokens only, so that nothing is padded.
 * {@code MiniLmEncoderParityTest} holds it to ONNX Runtime on the exported model.
 *
 * <p>Batches run in parallel, one per worker thread, each with single-threaded ND4J operations over
 * the same prepared weights: measured here, ND4J's operations barely gain from a second thread, while
 * two batches at once do (see bench/README.md). {@link #embed} and {@link #embedBatches} are safe to
 * call from several threads.
 */
public final class MiniLmEncoder implements AutoCloseable {

    public static final int HIDDEN = 384;
    public static final int HEADS = 12;
    public static final int LAYERS = 6;
    public static final double LAYER_NORM_EPSILON = 1e-12;

    private final INDArray wordEmbeddings;
    private final INDArray positionEmbeddings;
    private final INDArray tokenType;
    private final Norm embeddingNorm;
    private final List<BertLayer> layers = new ArrayList<>();
    private final ExecutorService workers;
    private final int threads;

    private MiniLmEncoder(ModelWeights weights, int threads) {
        this.wordEmbeddings = weights.required("embeddings.word_embeddings.weight");
        this.positionEmbeddings = weights.required("embeddings.position_embeddings.weight");
        // Every token is of type 0: its row is added to every token.
        INDArray types = weights.required("embeddings.token_type_embeddings.weight");
        this.tokenType = types.getRow(0).dup().reshape(1, types.columns());
        this.embeddingNorm = weights.norm("embeddings.LayerNorm", LAYER_NORM_EPSILON);
        for (int layer = 0; layer < LAYERS; layer++) {
            layers.add(weights.bertLayer("encoder.layer." + layer + ".", HEADS, LAYER_NORM_EPSILON));
        }
        this.threads = threads;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elm-encoder-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The encoder over the named weights (see {@link OnnxWeights}), for {@code threads} workers. */
    public static MiniLmEncoder build(Map<String, FloatTensor> weights, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        Map<String, INDArray> arrays = new HashMap<>();
        weights.forEach((name, t) -> arrays.put(name, Nd4j.create(t.values(), t.shape(), 'c')));
        return new MiniLmEncoder(arrays::get, threads);
    }

    /**
     * The last layer's token states of one sequence [tokens, {@value #HIDDEN}]: what a decoder attends
     * to, computed once per input and reused for every answer choice.
     */
    public float[][] tokenStates(int[] sequence) {
        return tokenStates(List.of(sequence)).get(0);
    }

    /** The token states of several sequences, computed as one batch: one [tokens, {@value #HIDDEN}] matrix each. */
    public List<float[][]> tokenStates(List<int[]> sequences) {
        return tokenStates(sequences, LAYERS);
    }

    /**
     * The token states after {@code layers} of the encoder's layers (1 to {@value #LAYERS}): where an
     * expert that adapts the top layers starts, computed once per input.
     */
    public List<float[][]> tokenStates(List<int[]> sequences, int layers) {
        if (layers < 1 || layers > LAYERS) {
            throw new IllegalArgumentException("the encoder has layers 1 to " + LAYERS + ", not " + layers);
        }
        float[] rows = run(sequences, layers);
        List<float[][]> out = new ArrayList<>(sequences.size());
        int offset = 0;
        for (int[] s : sequences) {
            float[][] states = new float[s.length][HIDDEN];
            for (int t = 0; t < s.length; t++, offset += HIDDEN) {
                System.arraycopy(rows, offset, states[t], 0, HIDDEN);
            }
            out.add(states);
        }
        return out;
    }

    /** How many batches run at once, one on each worker. */
    public int threads() {
        return threads;
    }

    /** The vectors of several batches, computed on the worker threads; in the batches' order. */
    public List<float[][]> embedBatches(List<List<int[]>> batches) {
        return onWorkers(batches, this::embed, done -> { });
    }

    /**
     * As {@link #embedBatches(List)}, telling {@code done} (on this thread) how many batches are done as
     * they finish; when it throws, the batches not yet done are cancelled and the exception goes on.
     */
    public List<float[][]> embedBatches(List<List<int[]>> batches, IntConsumer done) {
        return onWorkers(batches, this::embed, done);
    }

    /** The token states after {@code layers} layers of several batches (see {@link #tokenStates(List, int)}), on the workers; in order. */
    public List<List<float[][]>> tokenStatesBatches(List<List<int[]>> batches, int layers) {
        return onWorkers(batches, b -> tokenStates(b, layers), done -> { });
    }

    /** As {@link #tokenStatesBatches(List, int)}, with {@code done} as in {@link #embedBatches(List, IntConsumer)}. */
    public List<List<float[][]>> tokenStatesBatches(List<List<int[]>> batches, int layers, IntConsumer done) {
        return onWorkers(batches, b -> tokenStates(b, layers), done);
    }

    private <T> List<T> onWorkers(List<List<int[]>> batches, Function<List<int[]>, T> work, IntConsumer done) {
        List<T> out = new ArrayList<>();
        if (threads == 1 || batches.size() == 1) {
            for (List<int[]> b : batches) {
                out.add(work.apply(b));
                done.accept(out.size());
            }
            return out;
        }
        List<Future<T>> futures = new ArrayList<>();
        batches.forEach(b -> futures.add(workers.submit(() -> work.apply(b))));
        try {
            for (Future<T> f : futures) {
                out.add(f.get());
                done.accept(out.size());
            }
        } catch (RuntimeException e) {
            futures.forEach(f -> f.cancel(true));
            throw e;
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while encoding", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        return out;
    }

    /** Unit sentence vectors of token sequences (each as the tokenizer gives it), computed as one batch. */
    public float[][] embed(List<int[]> sequences) {
        float[] rows = run(sequences, LAYERS);
        float[][] out = new float[sequences.size()][HIDDEN];
        int offset = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int length = sequences.get(i).length;
            double[] sum = new double[HIDDEN];
            for (int t = 0; t < length; t++, offset += HIDDEN) {
                for (int d = 0; d < HIDDEN; d++) {
                    sum[d] += rows[offset + d];
                }
            }
            double norm = 0;
            for (int d = 0; d < HIDDEN; d++) {
                sum[d] /= length;
                norm += sum[d] * sum[d];
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int d = 0; d < HIDDEN; d++) {
                out[i][d] = (float) (sum[d] / norm);
            }
        }
        return out;
    }

    /** The states of the sequences' real tokens after {@code layers} layers, packed as rows [ΣT, D], as floats. */
    private float[] run(List<int[]> sequences, int layers) {
        int rows = sequences.stream().mapToInt(s -> s.length).sum();
        int[] ids = new int[rows];
        int[] positions = new int[rows];
        int[] offsets = new int[sequences.size() + 1];
        int row = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int[] s = sequences.get(i);
            if (s.length == 0) {
                throw new IllegalArgumentException("sequence " + i + " has no tokens; the tokenizer gives at least [CLS] and [SEP]");
            }
            for (int t = 0; t < s.length; t++, row++) {
                ids[row] = s[t];
                positions[row] = t;
            }
            offsets[i + 1] = row;
        }
        try (Scratch scratch = new Scratch()) {
            INDArray x = scratch.keep(Nd4j.pullRows(wordEmbeddings, 1, ids));
            x.addi(scratch.keep(Nd4j.pullRows(positionEmbeddings, 1, positions))).addiRowVector(tokenType);
            embeddingNorm.applyInPlace(x);
            for (int layer = 0; layer < layers; layer++) {
                this.layers.get(layer).applyInPlace(x, offsets, scratch);
            }
            return x.data().asFloat();
        }
    }

    /**
     * Stops the worker threads; the encoder cannot be used afterwards. Its prepared weights are left to the
     * collector: a caller on another thread may still be inside a batch.
     */
    @Override
    public void close() {
        workers.shutdownNow();
    }
}
