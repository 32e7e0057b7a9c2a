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

import org.expertlm.engine.graph.GraphOps;
import org.expertlm.engine.onnx.OnnxWeights;
import org.expertlm.engine.tensor.FloatTensor;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
    private final int padId;
    private final ExecutorService workers;
    private final int threads;

    private MiniLmEncoder(List<SameDiff> graphs, int padId) {
        this.idleGraphs = new ArrayBlockingQueue<>(graphs.size(), false, graphs);
        this.padId = padId;
        this.threads = graphs.size();
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elm-encoder-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Builds one graph per worker over the named weights (see {@link OnnxWeights}), for {@code threads} workers. */
    public static MiniLmEncoder build(Map<String, FloatTensor> weights, int padId, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        Map<String, INDArray> arrays = new HashMap<>();
        weights.forEach((name, t) -> arrays.put(name, Nd4j.create(t.values(), t.shape(), 'c')));
        List<SameDiff> graphs = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            graphs.add(graph(new Weights(SameDiff.create(), arrays)));
        }
        return new MiniLmEncoder(graphs, padId);
    }

    private static SameDiff graph(Weights w) {
        SameDiff sd = w.sd;
        SDVariable ids = sd.placeHolder("input_ids", DataType.INT, -1, -1);
        SDVariable positions = sd.placeHolder("position_ids", DataType.INT, -1);
        SDVariable mask = sd.placeHolder("attention_mask", DataType.FLOAT, -1, -1);

        SDVariable x = sd.gather(w.get("embeddings.word_embeddings.weight"), ids, 0)
                .add(sd.gather(w.get("embeddings.position_embeddings.weight"), positions, 0))
                .add(w.row("embeddings.token_type_embeddings.weight", 0));
        x = layerNorm(sd, x, w, "embeddings.LayerNorm");

        // Padding keys get a large negative score, so that softmax gives them no weight.
        SDVariable keyBias = sd.expandDims(sd.expandDims(mask.rsub(1.0).mul(-1e9), 1), 1);
        // The shapes of the head split and merge, computed once from the batch: [B, T, H, D/H] and [B, T, D].
        SDVariable batchAndLength = sd.slice(sd.shape(ids), new int[] {0}, 2);
        SDVariable headShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {HEADS, HIDDEN / HEADS}).castTo(batchAndLength.dataType())));
        SDVariable hiddenShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {HIDDEN}).castTo(batchAndLength.dataType())));
        for (int layer = 0; layer < LAYERS; layer++) {
            String p = "encoder.layer." + layer + ".";
            SDVariable attention = attention(sd, x, keyBias, headShape, hiddenShape, w, p + "attention.");
            x = layerNorm(sd, x.add(attention), w, p + "attention.output.LayerNorm");
            SDVariable inner = GraphOps.gelu(sd, linear(sd, x, w, p + "intermediate.dense"));
            x = layerNorm(sd, x.add(linear(sd, inner, w, p + "output.dense")), w, p + "output.LayerNorm");
        }

        x.rename("token_states");
        SDVariable weightsOfTokens = sd.expandDims(mask, 2);
        SDVariable summed = sd.sum(x.mul(weightsOfTokens), 1);
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
        INDArray states = run(List.of(sequence), "token_states");
        return states.get(NDArrayIndex.point(0)).toFloatMatrix();
    }

    /** The vectors of several batches, computed on the worker threads; in the batches' order. */
    public List<float[][]> embedBatches(List<List<int[]>> batches) {
        if (threads == 1 || batches.size() == 1) {
            List<float[][]> out = new ArrayList<>();
            batches.forEach(b -> out.add(embed(b)));
            return out;
        }
        List<Future<float[][]>> futures = new ArrayList<>();
        batches.forEach(b -> futures.add(workers.submit(() -> embed(b))));
        List<float[][]> out = new ArrayList<>();
        try {
            for (Future<float[][]> f : futures) {
                out.add(f.get());
            }
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

    /** The placeholders of a batch padded to its longest sequence. */
    private Map<String, INDArray> inputs(List<int[]> sequences) {
        int batch = sequences.size();
        int length = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        int[][] ids = new int[batch][length];
        float[][] mask = new float[batch][length];
        for (int i = 0; i < batch; i++) {
            Arrays.fill(ids[i], padId);
            int[] s = sequences.get(i);
            System.arraycopy(s, 0, ids[i], 0, s.length);
            Arrays.fill(mask[i], 0, s.length, 1f);
        }
        int[] positions = new int[length];
        for (int t = 0; t < length; t++) {
            positions[t] = t;
        }
        return Map.of(
                "input_ids", Nd4j.createFromArray(ids),
                "position_ids", Nd4j.createFromArray(positions),
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

    private static SDVariable attention(SameDiff sd, SDVariable x, SDVariable keyBias, SDVariable headShape,
            SDVariable hiddenShape, Weights w, String p) {
        SDVariable q = heads(sd, linear(sd, x, w, p + "self.query"), headShape);
        SDVariable k = heads(sd, linear(sd, x, w, p + "self.key"), headShape);
        SDVariable v = heads(sd, linear(sd, x, w, p + "self.value"), headShape);
        SDVariable scores = sd.mmul(q, k, false, true, false).div(Math.sqrt(HIDDEN / HEADS)).add(keyBias);
        SDVariable context = sd.mmul(sd.nn.softmax(scores, 3), v);            // [B, H, T, Dh]
        SDVariable merged = sd.reshape(sd.permute(context, 0, 2, 1, 3), hiddenShape);
        return linear(sd, merged, w, p + "output.dense");
    }

    /** [B, T, D] → [B, H, T, D/H]. */
    private static SDVariable heads(SameDiff sd, SDVariable x, SDVariable headShape) {
        return sd.permute(sd.reshape(x, headShape), 0, 2, 1, 3);
    }

    private static SDVariable linear(SameDiff sd, SDVariable x, Weights w, String name) {
        return sd.tensorMmul(x, w.get(name + ".weight"), new int[] {2}, new int[] {0}).add(w.get(name + ".bias"));
    }

    private static SDVariable layerNorm(SameDiff sd, SDVariable x, Weights w, String name) {
        SDVariable mean = sd.mean(x, true, 2);
        SDVariable centred = x.sub(mean);
        SDVariable variance = sd.mean(centred.mul(centred), true, 2);
        SDVariable normed = centred.mul(sd.math.rsqrt(variance.add(LAYER_NORM_EPSILON)));
        return normed.mul(w.get(name + ".weight")).add(w.get(name + ".bias"));
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
            INDArray a = arrays.get(name);
            if (a == null) {
                throw new IllegalArgumentException("the encoder needs weight '" + name + "', which the model file lacks");
            }
            return sd.constant(name, a);
        }

        SDVariable row(String name, int row) {
            INDArray a = arrays.get(name);
            if (a == null) {
                throw new IllegalArgumentException("the encoder needs weight '" + name + "', which the model file lacks");
            }
            return sd.constant(name + "." + row, a.getRow(row).dup());
        }
    }
}
