package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.ClosingMemoryManager;
import org.expertlm.engine.graph.DecoderBlocks;
import org.expertlm.engine.graph.EncoderLayers;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.tensor.FloatTensor;
import org.nd4j.autodiff.samediff.ArrayHolder;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A transformer decoder over encoder states, with its token embeddings tied to the encoder's (frozen)
 * word embeddings restricted to the output vocabulary, and sinusoidal positions.
 *
 * <p>The graph computes, for a batch of target sequences, each token's log-probability
 * ({@code token_logprob} [B, T]), each sequence's sum ({@code sequence_logprob} [B]) and the LM loss
 * ({@code loss}: mean negative log-likelihood of the real target tokens). {@link #score} is rank
 * classification: the choices of one input form one batch over that input's encoder states.
 *
 * <p>For classification training, a batch holds the choices of several inputs, each input's
 * choices in consecutive rows; {@code rank_loss} is the cross-entropy of the gold choice
 * ({@code gold_mask} [inputs, choices], one-hot) over the softmax of the choices' summed
 * log-probabilities, and {@code lm_rank_loss} is the sum of both losses, with the LM loss taken over
 * the gold rows only ({@code lm_row_weight} zero elsewhere). See {@link #classificationBatch}.
 *
 * <p>Both losses are sums weighted by their placeholders ({@code lm_row_weight} carries 1 / the
 * batch's target tokens, {@code gold_mask} 1 / its inputs), so that a batch cut into parts
 * ({@link #classificationParts}, {@link #lmParts}) gives parts of the batch's loss whose gradients add
 * up to the batch's: the parts of one training step run side by side on replicas of the graph.
 */
public final class DecoderLm {

    private static final String WORD_EMBEDDINGS = MiniLmModel.WORD_EMBEDDINGS;
    private static final int ENCODER_LAYERS = 6;

    private final DecoderConfig config;
    private final int[] outputIndex;
    private final SameDiff sd;
    private final DataType type;
    private final DecoderBatches batches;
    /** Builds the same graph in another SameDiff instance (see {@link #replica}). */
    private final Consumer<SameDiff> rebuild;
    /** False for a replica: its weight arrays are another graph's, freed by that graph. */
    private final boolean ownsWeights;
    /** The adapters under a frozen base, or null (a base model, a fine-tuned decoder). */
    private final AdapterPlan plan;

    private DecoderLm(DecoderConfig config, SameDiff sd, DataType type, Consumer<SameDiff> rebuild,
            boolean ownsWeights, AdapterPlan plan) {
        this.config = config;
        this.plan = plan;
        this.outputIndex = config.outputIndex();
        this.sd = sd;
        this.type = type;
        this.batches = new DecoderBatches(config, this, type);
        this.rebuild = rebuild;
        this.ownsWeights = ownsWeights;
    }

    /** The output index of a WordPiece id, or -1 when the restricted vocabulary lacks it. */
    public int indexOf(int wordPieceId) {
        return wordPieceId >= 0 && wordPieceId < outputIndex.length ? outputIndex[wordPieceId] : -1;
    }

    /**
     * Builds the graph. {@code wordEmbeddings} is the encoder's table [vocabulary, dim]; the decoder's
     * weights come from {@code parameters} (trainable for the base model, constants under adapters).
     */
    public static DecoderLm build(DecoderConfig c, FloatTensor wordEmbeddings, SameDiff sd, Parameters parameters, DataType type) {
        return build(c, Map.of(WORD_EMBEDDINGS, wordEmbeddings), sd, parameters, null, type);
    }

    /**
     * Builds the graph of a frozen base model under the adapters of {@code plan}: the base tensors are
     * constants, the adapters the graph's only trainable variables.
     */
    public static DecoderLm withAdapters(BaseModel base, Map<String, FloatTensor> encoderWeights, SameDiff sd, AdapterPlan plan,
            DataType type) {
        return build(base.config(), encoderWeights, sd, Parameters.frozen(sd, base.tensors(), type), plan, type);
    }

    /** Builds the graph of a base model whose decoder weights are all trainable, starting from the base's values. */
    public static DecoderLm fineTuning(BaseModel base, Map<String, FloatTensor> encoderWeights, SameDiff sd, DataType type) {
        return build(base.config(), encoderWeights, sd, Parameters.startingFrom(sd, base.tensors(), type), null, type);
    }

    /**
     * How many encoder layers' output the graph's {@code memory} takes: all of them, or fewer when the
     * plan adapts the encoder's top layers (those then run inside this graph).
     */
    public static int memoryLayers(AdapterPlan plan) {
        return plan == null ? ENCODER_LAYERS : ENCODER_LAYERS - plan.encoderLayers();
    }

    /** The names and shapes of the graph's trainable variables: the tensors {@link #load} takes. */
    public Map<String, long[]> trainableShapes() {
        Map<String, long[]> shapes = new TreeMap<>();
        sd.variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE)
                .forEach(v -> shapes.put(v.name(), v.getArr().shape()));
        return shapes;
    }

    /**
     * Sets the graph's trainable variables (an expert's adapters, or a fine-tuned decoder) to {@code tensors}:
     * the names must be exactly the graph's trainable variables, with their shapes.
     */
    public void load(Map<String, FloatTensor> tensors) {
        List<String> variables = new ArrayList<>();
        sd.variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE)
                .forEach(v -> variables.add(v.name()));
        if (!new HashSet<>(variables).equals(tensors.keySet())) {
            List<String> missing = new ArrayList<>(variables);
            missing.removeAll(tensors.keySet());
            List<String> extra = new ArrayList<>(tensors.keySet());
            extra.removeAll(variables);
            throw new IllegalArgumentException("the tensors do not fit this model: missing " + missing + ", unexpected " + extra
                    + " (an expert must be loaded with the adapter configuration it was trained with)");
        }
        for (String name : variables) {
            INDArray target = sd.getVariable(name).getArr();
            FloatTensor t = tensors.get(name);
            if (!Arrays.equals(target.shape(), t.shape())) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                        + "; the model needs " + Arrays.toString(target.shape()));
            }
            target.assign(Nd4j.create(t.values(), t.shape(), 'c').castTo(target.dataType()));
        }
    }

    /**
     * Another graph of this model over the same weight arrays, trainable variables included (an update
     * through one graph is seen by every replica), for work side by side: a SameDiff session serves one
     * thread's run at a time. Closing a replica frees nothing of the weights.
     */
    public DecoderLm replica() {
        SameDiff copy = SameDiff.create();
        rebuild.accept(copy);
        for (SDVariable v : copy.variables()) {
            if (v.getVariableType() != VariableType.CONSTANT && v.getVariableType() != VariableType.VARIABLE) {
                continue;
            }
            INDArray shared = sd.getVariable(v.name()).getArr();
            if (v.getArr() == shared) {
                continue;
            }
            // Replaced in the holder itself: associateArrayWithVariable would copy the values into the replica's
            // own array (ND4J M2.1), and the replica would train on weights of its own.
            ArrayHolder holder = v.getVariableType() == VariableType.VARIABLE ? copy.getVariablesArrays() : copy.getConstantArrays();
            INDArray own = holder.removeArray(v.name());
            holder.setArray(v.name(), shared);
            if (own != null && own != shared && own.closeable() && !own.wasClosed()) {
                own.close();
            }
            if (v.getArr().data().address() != shared.data().address()) {
                throw new IllegalStateException("the replica of " + v.name() + " does not share its original's memory; "
                        + "this ND4J version keeps arrays differently (see DecoderLm#replica)");
            }
        }
        return new DecoderLm(config, copy, type, rebuild, false, plan);
    }

    private static DecoderLm build(DecoderConfig c, Map<String, FloatTensor> encoderWeights, SameDiff sd, Parameters parameters,
            AdapterPlan plan, DataType type) {
        graph(c, encoderWeights, sd, parameters, plan, type);
        // A replica's parameters are created from this graph's arrays; everything else is swapped in after it is built.
        return new DecoderLm(c, sd, type, s -> graph(c, encoderWeights, s, Parameters.sharing(s, sd), plan, type), true, plan);
    }

    private static void graph(DecoderConfig c, Map<String, FloatTensor> encoderWeights, SameDiff sd, Parameters parameters,
            AdapterPlan plan, DataType type) {
        FloatTensor wordEmbeddings = encoderWeights.get(WORD_EMBEDDINGS);
        long[] shape = wordEmbeddings.shape();
        if (shape.length != 2 || shape[1] != c.dim()) {
            throw new IllegalArgumentException("word embeddings of shape " + Arrays.toString(shape)
                    + " do not fit a decoder of dim " + c.dim());
        }
        float[] rows = new float[c.vocabulary().length * c.dim()];
        for (int i = 0; i < c.vocabulary().length; i++) {
            int id = c.vocabulary()[i];
            if (id < 0 || id >= shape[0]) {
                throw new IllegalArgumentException("output token " + id + " is outside the embedding table's " + shape[0] + " rows");
            }
            System.arraycopy(wordEmbeddings.values(), id * c.dim(), rows, i * c.dim(), c.dim());
        }
        SDVariable table = sd.constant("decoder.embeddings", Nd4j.create(rows, new long[] {c.vocabulary().length, c.dim()}, 'c').castTo(type));

        // The states are per input [I, S, D]; "fanout" (zeros [1, F, 1, 1]) serves each input to its F
        // consecutive rows (its answer choices) by broadcasting: the encoder's adapted top layers and the
        // cross-attention keys and values run once per input. Broadcasting, unlike a gather, has a backward
        // pass that works in M2.1.
        SDVariable memory = sd.placeHolder("memory", type, -1, -1, c.dim());
        SDVariable memoryBias = sd.placeHolder("memory_bias", type, -1, 1, 1, -1);
        SDVariable fanout = sd.placeHolder("fanout", type, 1, -1, 1, 1);
        if (memoryLayers(plan) < ENCODER_LAYERS) {
            memory = EncoderLayers.top(sd, memory, memoryBias, encoderWeights, memoryLayers(plan), plan, type);
        }
        SDVariable biasShape = sd.concat(0, sd.constant(Nd4j.createFromArray(new long[] {-1, 1, 1})),
                sd.slice(sd.shape(memoryBias), new int[] {3}, 1));
        memoryBias = sd.reshape(sd.expandDims(memoryBias, 1).add(sd.expandDims(fanout, 4)), biasShape);
        SDVariable input = sd.placeHolder("decoder_input", DataType.INT, -1, -1);
        SDVariable targets = sd.placeHolder("targets", DataType.INT, -1, -1);
        SDVariable targetMask = sd.placeHolder("target_mask", type, -1, -1);
        SDVariable causal = sd.placeHolder("causal", type, -1, -1);
        SDVariable positions = sd.placeHolder("positions", type, -1, c.dim());

        // The table is a constant, so gathering from it is safe (training through gather is not, in this ND4J).
        SDVariable x = sd.gather(table, input, 0).add(positions);
        DecoderBlocks blocks = new DecoderBlocks(sd, parameters, x, c.dim(), c.heads(), plan, type);
        for (int layer = 0; layer < c.layers(); layer++) {
            String p = "decoder.layer." + layer;
            x = blocks.causalSelfAttention(x, causal, p + ".self");
            x = blocks.crossAttention(x, memory, memoryBias, fanout, p + ".cross");
            x = blocks.feedForward(x, c.inner(), p + ".ffn");
        }
        x = blocks.layerNorm(x, "decoder.final.norm");
        SDVariable logits = sd.mmul(sd.reshape(x, -1, c.dim()), table, false, true, false);
        // logSoftmax over the last dimension without naming it: with an explicit dimension its backward fails in M2.1.
        SDVariable logProbs = sd.reshape(sd.nn.logSoftmax(logits), sd.concat(0,
                sd.slice(sd.shape(input), new int[] {0}, 2),
                sd.constant(Nd4j.createFromArray(new long[] {c.vocabulary().length}))));
        logProbs.rename("log_probs");
        SDVariable picked = sd.sum(logProbs.mul(sd.oneHot(targets, c.vocabulary().length, 2, 1.0, 0.0, type)), 2);
        SDVariable tokenLogProb = picked.mul(targetMask).rename("token_logprob");
        sd.sum(tokenLogProb, 1).rename("sequence_logprob");
        // Both losses are weighted sums, their normalisers in the placeholders' weights (see DecoderBatches): the
        // parts of a batch then give parts of its loss, and their gradients add up to the whole batch's.
        // The LM loss weighs rows: all of them in language modelling, the gold ones in classification training.
        SDVariable rowWeight = sd.expandDims(sd.placeHolder("lm_row_weight", type, -1), 1);
        SDVariable lmLoss = sd.sum(tokenLogProb.mul(rowWeight)).neg().rename("loss");
        SDVariable goldMask = sd.placeHolder("gold_mask", type, -1, -1);
        SDVariable perInput = sd.reshape(sd.sum(tokenLogProb, 1), sd.shape(goldMask));
        // logSoftmax over the last dimension without naming it (see above).
        SDVariable rankLoss = sd.sum(sd.nn.logSoftmax(perInput).mul(goldMask)).neg().rename("rank_loss");
        lmLoss.add(rankLoss).rename("lm_rank_loss");
        sd.setLossVariables("loss");
    }

    public SameDiff graph() {
        return sd;
    }

    /** The adapters this graph puts under a frozen base, or null when it has none. */
    public AdapterPlan plan() {
        return plan;
    }

    /** The array of the graph's weight {@code name} (a constant or a variable), or null when it has none. */
    INDArray weight(String name) {
        SDVariable v = sd.getVariable(name);
        return v == null || v.getVariableType() != VariableType.CONSTANT && v.getVariableType() != VariableType.VARIABLE
                ? null : v.getArr();
    }

    /** The bytes the graph's weights take (its constants and variables; every one is this graph's own copy). */
    public long bytes() {
        long bytes = 0;
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == VariableType.CONSTANT || v.getVariableType() == VariableType.VARIABLE) {
                INDArray a = v.getArr();
                bytes += a == null ? 0 : a.length() * a.dataType().width();
            }
        }
        return bytes;
    }

    /**
     * Frees the graph's weights now rather than when the collector finds them: a long-running container
     * opens and evicts many models. Each model holds its own copies (see {@link Parameters}); a
     * {@link #replica} holds its original's, and closing it frees nothing: close the original once its
     * replicas are done.
     */
    public void close() {
        if (!ownsWeights) {
            return;
        }
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == VariableType.CONSTANT || v.getVariableType() == VariableType.VARIABLE) {
                INDArray a = v.getArr();
                if (a != null && !a.wasClosed() && a.closeable()) {
                    a.close();
                }
            }
        }
    }

    public DecoderConfig config() {
        return config;
    }

    /**
     * Rank classification: the summed log-probability of each choice's tokens given one input's
     * encoder states [S, dim] (all of them real tokens), optionally divided by the choice's length.
     * Choices are WordPiece ids without BOS; every id must be in the output vocabulary.
     */
    public double[] score(float[][] memory, List<int[]> choices, boolean lengthNormalised) {
        Map<String, INDArray> batch = batch(memory, choices);
        ClosingMemoryManager.installForThisThread(sd);
        INDArray sums = sd.output(batch, "sequence_logprob").get("sequence_logprob");
        double[] scores = new double[choices.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = sums.getDouble(i) / (lengthNormalised ? choices.get(i).length : 1);
        }
        return scores;
    }

    /** The placeholders for scoring {@code choices} against one input's states; the states are shared by every row. */
    public Map<String, INDArray> batch(float[][] memory, List<int[]> choices) {
        return batches.rows(List.<float[][]>of(memory), choices.size(), choices, choices.stream().mapToInt(c -> c.length).sum());
    }

    /**
     * A language-modelling batch: row i is target sequence {@code targets[i]} (WordPiece ids, without
     * BOS, every id in the output vocabulary) over encoder states {@code memories[i]}; the states may
     * differ in length (shorter ones are padded and masked).
     */
    public Map<String, INDArray> lmBatch(List<float[][]> memories, List<int[]> targets) {
        return batches.lm(memories, targets, 1).get(0);
    }

    /**
     * A batch for classification: for each input (its encoder states), its choices and the index of the
     * gold one (for training; null when only scoring). Every input has the same number of choices; the
     * rows are the inputs' choices in order, and {@code sequence_logprob} gives their summed scores.
     */
    public Map<String, INDArray> classificationBatch(List<float[][]> memories, List<List<int[]>> choices, int[] gold) {
        return batches.classification(memories, choices, gold, 1).get(0);
    }

    /**
     * A classification training batch cut into at most {@code parts} parts of consecutive inputs, each
     * weighted as a part of the whole batch: the parts' losses (and gradients) sum to the batch's.
     */
    public List<Map<String, INDArray>> classificationParts(List<float[][]> memories, List<List<int[]>> choices, int[] gold,
            int parts) {
        return batches.classification(memories, choices, gold, parts);
    }

    /** A language-modelling batch (see {@link #lmBatch}) cut into at most {@code parts} parts that sum to it. */
    public List<Map<String, INDArray>> lmParts(List<float[][]> memories, List<int[]> targets, int parts) {
        return batches.lm(memories, targets, parts);
    }

    /** The sinusoidal position encodings of the first {@code length} positions. */
    static double[][] sinusoids(int length, int dim) {
        return DecoderBatches.sinusoids(length, dim);
    }
}
