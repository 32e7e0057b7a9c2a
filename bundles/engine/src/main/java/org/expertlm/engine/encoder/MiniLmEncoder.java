package org.expertlm.engine.encoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;

import org.expertlm.engine.graph.ClosingMemoryManager;
import org.expertlm.engine.graph.GraphOps;
import org.expertlm.engine.onnx.OnnxWeights;
import org.expertlm.engine.tensor.FloatTensor;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * all-MiniLM-L6-v2 as a SameDiff graph: a post-layer-norm BERT encoder (6 layers, hidden 384,
 * 12 heads, exact GELU, layer-norm epsilon 1e-12) with its weights as constants, batched with an
 * attention mask for padding, followed by mean pooling over the real tokens and L2 normalisation.
 *
 * <p>Shapes are dynamic: one graph serves every batch size and sequence length. Layer norm and GELU
 * are written out (mean, variance, erf) so that they match the exported model exactly.
 *
 * <p>Batches run in parallel, one per worker thread, each with single-threaded ND4J operations and
 * a graph of its own (the weight arrays are shared): measured here, SameDiff's operations barely gain
 * from a second thread, while two batches at once do (see bench/README.md). {@link #embed} and
 * {@link #embedBatches} are safe to call from several threads.
 */
public final class MiniLmEncoder implements AutoCloseable {

    public static final int HIDDEN = 384;
    public static final int HEADS = 12;
    public static final int LAYERS = 6;
    private static final double LAYER_NORM_EPSILON = 1e-12;

    private final BlockingQueue<SameDiff> idleGraphs;
    private final ExecutorService workers;
    private final int threads;

    private MiniLmEncoder(List<SameDiff> graphs) {
        this.idleGraphs = new ArrayBlockingQueue<>(graphs.size(), false, graphs);
        this.threads = graphs.size();
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elm-encoder-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Builds one graph per worker over the named weights (see {@link OnnxWeights}), for {@code threads} workers. */
    public static MiniLmEncoder build(Map<String, FloatTensor> weights, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        Map<String, INDArray> arrays = new HashMap<>();
        weights.forEach((name, t) -> arrays.put(name, Nd4j.create(t.values(), t.shape(), 'c')));
        List<SameDiff> graphs = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            graphs.add(graph(new Weights(SameDiff.create(), arrays)));
        }
        return new MiniLmEncoder(graphs);
    }

    private static SameDiff graph(Weights w) {
        SameDiff sd = w.sd;
        // Token-wise work (embeddings, linear layers, layer norms, feed-forward) runs on the real tokens
        // only, packed as rows [N, D]; attention alone needs the padded [B, T] layout, reached by gathers.
        SDVariable ids = sd.placeHolder("token_ids", DataType.INT, -1);
        SDVariable positions = sd.placeHolder("token_positions", DataType.INT, -1);
        SDVariable padded = sd.placeHolder("padded_rows", DataType.INT, -1);
        SDVariable packed = sd.placeHolder("packed_rows", DataType.INT, -1);
        SDVariable mask = sd.placeHolder("attention_mask", DataType.FLOAT, -1, -1);

        SDVariable x = sd.gather(w.get("embeddings.word_embeddings.weight"), ids, 0)
                .add(sd.gather(w.get("embeddings.position_embeddings.weight"), positions, 0))
                .add(w.row("embeddings.token_type_embeddings.weight", 0));
        x = layerNorm(sd, x, w, "embeddings.LayerNorm");

        // Padding keys get a large negative score, so that softmax gives them no weight.
        SDVariable keyBias = sd.expandDims(sd.expandDims(mask.rsub(1.0).mul(-1e9), 1), 1);
        // The padded shape of the fused query/key/value rows, computed once from the batch: [B, T, 3, H, D/H].
        SDVariable batchAndLength = sd.shape(mask);
        SDVariable qkvShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {3, HEADS, HIDDEN / HEADS}).castTo(batchAndLength.dataType())));
        SDVariable zeroRow = sd.constant("zero_row", Nd4j.zeros(DataType.FLOAT, 1, 3 * HIDDEN));
        for (int layer = 0; layer < LAYERS; layer++) {
            String p = "encoder.layer." + layer + ".";
            SDVariable attention = attention(sd, x, keyBias, qkvShape, zeroRow, padded, packed, w, p + "attention.");
            x = layerNorm(sd, x.add(attention), w, p + "attention.output.LayerNorm");
            x = layerNorm(sd, x.add(feedForward(sd, x, w, p)), w, p + "output.LayerNorm");
            if (layer < LAYERS - 1) {
                x.rename(layerOutput(layer + 1));
            }
        }

        x.rename("token_states");
        // Mean pooling: the rows back into [B, T, D] with zeros at the padding, summed over T.
        SDVariable withZeros = sd.concat(0, x, sd.constant(Nd4j.zeros(DataType.FLOAT, 1, HIDDEN)));
        SDVariable hiddenShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {HIDDEN}).castTo(batchAndLength.dataType())));
        SDVariable summed = sd.sum(sd.reshape(sd.gather(withZeros, padded, 0), hiddenShape), 1);
        SDVariable counts = sd.math.max(sd.sum(mask, true, 1), sd.constant(1e-9f));
        SDVariable mean = summed.div(counts);
        SDVariable norm = sd.math.max(sd.math.sqrt(sd.sum(mean.mul(mean), true, 1)), sd.constant(1e-12f));
        mean.div(norm).rename("embedding");
        return sd;
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
        float[] rows = run(sequences, layers == LAYERS ? "token_states" : layerOutput(layers)).data().asFloat();
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

    private static String layerOutput(int layers) {
        return "layer_" + layers + "_states";
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

    /** Unit sentence vectors of token sequences (each as the tokenizer gives it), computed as one padded batch. */
    public float[][] embed(List<int[]> sequences) {
        return run(sequences, "embedding").toFloatMatrix();
    }

    /**
     * The placeholders of a batch: its real tokens as rows (ids, positions), where each row sits in the
     * batch padded to its longest sequence ({@code packed_rows}, an index into B·T), which row fills each
     * padded slot ({@code padded_rows}; padding points one past the last row, at zeros), and the mask.
     */
    private static Map<String, INDArray> inputs(List<int[]> sequences) {
        int batch = sequences.size();
        int length = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        int rows = sequences.stream().mapToInt(s -> s.length).sum();
        int[] ids = new int[rows];
        int[] positions = new int[rows];
        int[] packed = new int[rows];
        int[] padded = new int[batch * length];
        Arrays.fill(padded, rows);
        float[][] mask = new float[batch][length];
        int row = 0;
        for (int i = 0; i < batch; i++) {
            int[] s = sequences.get(i);
            for (int t = 0; t < s.length; t++, row++) {
                ids[row] = s[t];
                positions[row] = t;
                packed[row] = i * length + t;
                padded[i * length + t] = row;
            }
            Arrays.fill(mask[i], 0, s.length, 1f);
        }
        return Map.of(
                "token_ids", Nd4j.createFromArray(ids),
                "token_positions", Nd4j.createFromArray(positions),
                "packed_rows", Nd4j.createFromArray(packed),
                "padded_rows", Nd4j.createFromArray(padded),
                "attention_mask", Nd4j.createFromArray(mask));
    }

    /** Runs a padded batch on a free graph and returns one output. */
    private INDArray run(List<int[]> sequences, String output) {
        Map<String, INDArray> inputs = inputs(sequences);
        SameDiff sd = idleGraphs.poll();
        if (sd == null) {
            try {
                sd = idleGraphs.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a free encoder graph", e);
            }
        }
        try {
            ClosingMemoryManager.installForThisThread(sd);
            return sd.output(inputs, output).get(output);
        } finally {
            idleGraphs.add(sd);
        }
    }

    /** Stops the worker threads; the encoder cannot be used afterwards. */
    @Override
    public void close() {
        workers.shutdownNow();
    }

    /**
     * Self-attention over packed rows: one product for query, key and value together, the rows scattered
     * into the padded batch (a gather that puts the zero row at the padding), attention per head, and the
     * real tokens gathered back into rows for the output projection.
     */
    private static SDVariable attention(SameDiff sd, SDVariable x, SDVariable keyBias, SDVariable qkvShape,
            SDVariable zeroRow, SDVariable padded, SDVariable packed, Weights w, String p) {
        SDVariable qkv = sd.mmul(x, w.fused(p + "self", ".weight", 1)).add(w.fused(p + "self", ".bias", 0));
        SDVariable slots = sd.reshape(sd.gather(sd.concat(0, qkv, zeroRow), padded, 0), qkvShape);
        SDVariable[] qkvHeads = sd.unstack(sd.permute(slots, 2, 0, 3, 1, 4), 0, 3);  // 3 × [B, H, T, D/H]
        SDVariable scores = sd.mmul(qkvHeads[0], qkvHeads[1], false, true, false)
                .div(Math.sqrt(HIDDEN / HEADS)).add(keyBias);
        SDVariable context = sd.mmul(sd.nn.softmax(scores, 3), qkvHeads[2]);     // [B, H, T, D/H]
        SDVariable rows = sd.reshape(sd.permute(context, 0, 2, 1, 3), -1, HIDDEN);
        return linear(sd, sd.gather(rows, packed, 0), w, p + "output.dense");
    }

    /**
     * The feed-forward block, GELU(x·W1 + b1)·W2 + b2 with the exact GELU u/2·(1 + erf(u/√2)), written as
     * z·(1 + erf(z))·(W2/√2) + b2 for z = x·(W1/√2) + b1/√2: the same function in three elementwise
     * operations instead of five, which matters because ND4J's elementwise operations over the [N, 1536]
     * activations cost as much as a matrix product here (see bench/README.md).
     */
    private static SDVariable feedForward(SameDiff sd, SDVariable x, Weights w, String p) {
        double s = 1 / Math.sqrt(2);
        SDVariable z = sd.mmul(x, w.scaled(p + "intermediate.dense.weight", s))
                .add(w.scaled(p + "intermediate.dense.bias", s));
        SDVariable activated = z.mul(sd.math.erf(z).add(1.0));
        return sd.mmul(activated, w.scaled(p + "output.dense.weight", s)).add(w.get(p + "output.dense.bias"));
    }

    private static SDVariable linear(SameDiff sd, SDVariable x, Weights w, String name) {
        return sd.mmul(x, w.get(name + ".weight")).add(w.get(name + ".bias"));
    }

    private static SDVariable layerNorm(SameDiff sd, SDVariable x, Weights w, String name) {
        return GraphOps.layerNorm(sd, x, 1, w.get(name + ".weight"), w.get(name + ".bias"), LAYER_NORM_EPSILON);
    }

    /** The weights as constants of one graph, over arrays shared by every graph; a missing name is an error naming it. */
    private static final class Weights {
        private final SameDiff sd;
        private final Map<String, INDArray> arrays;

        Weights(SameDiff sd, Map<String, INDArray> arrays) {
            this.sd = sd;
            this.arrays = arrays;
        }

        SDVariable get(String name) {
            SDVariable existing = sd.getVariable(name);
            if (existing != null) {
                return existing;
            }
            return sd.constant(name, array(name));
        }

        /** The query, key and value tensors ({@code prefix.query + suffix} …) side by side along {@code axis}. */
        SDVariable fused(String prefix, String suffix, int axis) {
            String name = prefix + ".qkv" + suffix;
            SDVariable existing = sd.getVariable(name);
            if (existing != null) {
                return existing;
            }
            INDArray joined = arrays.computeIfAbsent(name, n -> Nd4j.concat(axis,
                    array(prefix + ".query" + suffix), array(prefix + ".key" + suffix), array(prefix + ".value" + suffix)));
            return sd.constant(name, joined);
        }

        /** A weight multiplied by a constant factor. */
        SDVariable scaled(String name, double factor) {
            String scaledName = name + "*" + factor;
            SDVariable existing = sd.getVariable(scaledName);
            if (existing != null) {
                return existing;
            }
            return sd.constant(scaledName, arrays.computeIfAbsent(scaledName, n -> array(name).mul(factor)));
        }

        SDVariable row(String name, int row) {
            return sd.constant(name + "." + row, array(name).getRow(row).dup());
        }

        private INDArray array(String name) {
            INDArray a = arrays.get(name);
            if (a == null) {
                throw new IllegalArgumentException("the encoder needs weight '" + name + "', which the model file lacks");
            }
            return a;
        }
    }
}
