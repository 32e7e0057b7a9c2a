package org.expertlm.engine.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.expertlm.engine.direct.AdaptedLinear;
import org.expertlm.engine.direct.Backward;
import org.expertlm.engine.direct.BertLayer;
import org.expertlm.engine.direct.Linear;
import org.expertlm.engine.direct.ModelWeights;
import org.expertlm.engine.direct.Norm;
import org.expertlm.engine.direct.Scratch;
import org.expertlm.engine.encoder.MiniLmEncoder;
import org.expertlm.engine.graph.AdapterPlan;
import org.expertlm.engine.graph.DecoderBlocks;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An expert's training step run directly through ND4J's operations, with a backward pass written by
 * hand: the loss of a batch part ({@link DecoderLm#classificationParts}, {@link DecoderLm#lmParts}, the
 * same placeholders the graph takes) and the gradients of the adapters alone. The graph's
 * differentiation computes the gradient of every frozen weight it passes and throws it away, and pays
 * a session's bookkeeping for each of about a thousand operations; here a frozen product's backward is
 * dy·Wᵀ alone, a norm's, a GELU's and an attention's are a few fused passes, and the frozen weights are
 * prepared once (query, key and value in one product, the attention scale and GELU's 1/√2 folded in,
 * as in {@link DirectScorer}), the LoRA updates folded again after every step ({@link #refresh}).
 *
 * <p>What it computes is the graph's {@code lm_rank_loss} (or {@code loss}) and its gradients, up to
 * float rounding: DirectTrainerTest holds the two together for every adapter kind. The encoder's
 * adapted layers and the cross-attention run on each input's real tokens only, the output layer on
 * the real target tokens only. Thread-safe between refreshes: the parts of a step run side by side.
 */
public final class DirectTrainer implements AutoCloseable {

    private static final double HALF_ROOT = Math.sqrt(0.5);

    private final DecoderConfig config;
    private final DataType type;
    private final INDArray table;
    private final List<EncoderLayer> encoderLayers = new ArrayList<>();
    private final List<DecoderLayer> decoderLayers = new ArrayList<>();
    private final Norm finalNorm;
    private final Set<String> variables;
    private final List<AdaptedLinear> adapted = new ArrayList<>();
    private volatile boolean closed;

    /** The loss of a batch part and the gradients of every adapter tensor (fresh arrays, the caller's). */
    public record Result(double loss, Map<String, INDArray> gradients) {
    }

    /**
     * A trainable Houlsby adapter over the model's own arrays, x + up(gelu(down(x))), computed with GELU's
     * 1/√2 applied to the down-projection's output and its √2 to the up-projection's input (see
     * {@link BertLayer#gelu}). A null name: no adapter.
     */
    private record Houlsby(String name, INDArray down, INDArray downBias, INDArray up, INDArray upBias) {

        /** What the backward pass needs: the adapter's input, z = u/√2 and its GELU. */
        record Saved(INDArray input, INDArray z, Backward.Gelu hidden) {
        }

        Saved forward(INDArray x, Scratch scratch) {
            INDArray z = scratch.keep(Linear.product(x, down, false, false, 1.0)).addiRowVector(downBias).muli(HALF_ROOT);
            return new Saved(x, z, keep(Backward.gelu(z), scratch));
        }

        /** The adapter's output: its input plus the update, in a fresh array. */
        INDArray output(Saved s, Scratch scratch) {
            return scratch.keep(Linear.product(s.hidden.output(), up, false, false, HALF_ROOT).addi(s.input).addiRowVector(upBias));
        }

        /** The input's gradient given the output's; puts the adapter's four gradients. */
        INDArray backward(Saved s, INDArray dy, Map<String, INDArray> gradients, Scratch scratch) {
            gradients.put(name + ".up.weight", Linear.product(s.hidden.output(), dy, true, false, HALF_ROOT));
            gradients.put(name + ".up.bias", dy.sum(0));
            INDArray dHidden = scratch.keep(Linear.product(dy, up, false, true, HALF_ROOT));
            INDArray du = scratch.keep(Backward.gelu(s.z, s.hidden, dHidden)).muli(HALF_ROOT);
            gradients.put(name + ".down.weight", Linear.product(s.input, du, true, false, 1.0));
            gradients.put(name + ".down.bias", du.sum(0));
            return scratch.keep(Linear.product(du, down, false, true, 1.0).addi(dy));
        }
    }

    /** A post-layer-norm BERT layer whose query and value carry LoRA (see {@link BertLayer}, prepared the same way). */
    private record EncoderLayer(int heads, AdaptedLinear queryKeyValue, Linear output, Norm attentionNorm, Linear in, Linear out,
            Norm outputNorm) {
    }

    /** A decoder block's three pre-layer-norm sublayers, LoRA on the attention products and Houlsby after each where the plan puts them. */
    private record DecoderLayer(Norm selfNorm, AdaptedLinear selfQueryKeyValue, AdaptedLinear selfOutput, Houlsby selfAdapter,
            Norm crossNorm, AdaptedLinear crossQuery, AdaptedLinear crossKeyValue, AdaptedLinear crossOutput, Houlsby crossAdapter,
            Norm ffnNorm, Linear ffnIn, Linear ffnOut, Houlsby ffnAdapter) {
    }

    private DirectTrainer(DecoderLm lm) {
        AdapterPlan plan = lm.plan();
        if (plan == null) {
            throw new IllegalArgumentException("the direct trainer trains an expert's adapters; this model has none (a base model "
                    + "or a fine-tuned decoder trains on its graph)");
        }
        this.config = lm.config();
        ModelWeights weights = lm::weight;
        this.table = weights.required("decoder.embeddings");
        this.type = table.dataType();
        this.variables = new TreeSet<>();
        lm.graph().variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE)
                .forEach(v -> variables.add(v.name()));
        double loraScale = plan.loraAlpha() / plan.loraRank();
        for (int layer = DecoderLm.memoryLayers(plan); layer < MiniLmEncoder.LAYERS; layer++) {
            String p = "encoder.layer." + layer + ".";
            int heads = MiniLmEncoder.HEADS;
            double epsilon = MiniLmEncoder.LAYER_NORM_EPSILON;
            String query = p + "attention.self.query";
            String key = p + "attention.self.key";
            String value = p + "attention.self.value";
            encoderLayers.add(new EncoderLayer(heads,
                    adapted(Linear.fused(weights.query(query, heads), weights.linear(key, 1, 1), weights.linear(value, 1, 1)),
                            lora(lm, query, 0, loraScale * queryScale(heads)), lora(lm, key, config.dim(), loraScale),
                            lora(lm, value, 2L * config.dim(), loraScale)),
                    weights.linear(p + "attention.output.dense", 1, 1), weights.norm(p + "attention.output.LayerNorm", epsilon),
                    weights.beforeGelu(p + "intermediate.dense"), weights.afterGelu(p + "output.dense"),
                    weights.norm(p + "output.LayerNorm", epsilon)));
        }
        for (int layer = 0; layer < config.layers(); layer++) {
            decoderLayers.add(decoderLayer(lm, weights, "decoder.layer." + layer, loraScale));
        }
        this.finalNorm = weights.norm("decoder.final.norm", DecoderBlocks.LAYER_NORM_EPSILON);
    }

    /** A trainer of {@code lm}'s adapters; it reads the adapters' arrays as they are at each {@link #refresh}. */
    public static DirectTrainer of(DecoderLm lm) {
        return new DirectTrainer(lm);
    }

    private double queryScale(int heads) {
        return 1 / Math.sqrt(config.dim() / (double) heads);
    }

    /** The LoRA update of product {@code name} on output columns from {@code column}, or null when the model has none. */
    private static AdaptedLinear.Lora lora(DecoderLm lm, String name, long column, double factor) {
        INDArray a = lm.weight(name + ".lora_a");
        return a == null ? null : new AdaptedLinear.Lora(name, a, lm.weight(name + ".lora_b"), column, factor);
    }

    /** {@code frozen} under the updates that are not null. */
    private AdaptedLinear adapted(Linear frozen, AdaptedLinear.Lora... updates) {
        AdaptedLinear product = new AdaptedLinear(frozen, Arrays.stream(updates).filter(Objects::nonNull).toList());
        adapted.add(product);
        return product;
    }

    private DecoderLayer decoderLayer(DecoderLm lm, ModelWeights w, String p, double loraScale) {
        int heads = config.heads();
        int dim = config.dim();
        double epsilon = DecoderBlocks.LAYER_NORM_EPSILON;
        double query = loraScale * queryScale(heads);
        return new DecoderLayer(
                w.norm(p + ".self.norm", epsilon),
                adapted(Linear.fused(w.query(p + ".self.query", heads), w.linear(p + ".self.key", 1, 1), w.linear(p + ".self.value", 1, 1)),
                        lora(lm, p + ".self.query", 0, query), lora(lm, p + ".self.key", dim, loraScale),
                        lora(lm, p + ".self.value", 2L * dim, loraScale)),
                adapted(w.linear(p + ".self.output", 1, 1), lora(lm, p + ".self.output", 0, loraScale)),
                houlsby(w, p + ".self.adapter"),
                w.norm(p + ".cross.norm", epsilon),
                adapted(w.query(p + ".cross.query", heads), lora(lm, p + ".cross.query", 0, query)),
                adapted(Linear.fused(w.linear(p + ".cross.key", 1, 1), w.linear(p + ".cross.value", 1, 1)),
                        lora(lm, p + ".cross.key", 0, loraScale), lora(lm, p + ".cross.value", dim, loraScale)),
                adapted(w.linear(p + ".cross.output", 1, 1), lora(lm, p + ".cross.output", 0, loraScale)),
                houlsby(w, p + ".cross.adapter"),
                w.norm(p + ".ffn.norm", epsilon), w.beforeGelu(p + ".ffn.in"), w.afterGelu(p + ".ffn.out"),
                houlsby(w, p + ".ffn.adapter"));
    }

    private static Houlsby houlsby(ModelWeights w, String name) {
        if (w.array(name + ".down.weight") == null) {
            return new Houlsby(null, null, null, null, null);
        }
        return new Houlsby(name, w.required(name + ".down.weight"), w.required(name + ".down.bias").reshape(1, -1),
                w.required(name + ".up.weight"), w.required(name + ".up.bias").reshape(1, -1));
    }

    private static Backward.Gelu keep(Backward.Gelu g, Scratch scratch) {
        scratch.keep(g.output());
        scratch.keep(g.onePlusErf());
        return g;
    }

    /** Folds the LoRA updates' current values into the products they adapt: after every optimiser step, before the next. */
    public void refresh() {
        adapted.forEach(AdaptedLinear::refresh);
    }

    /** Frees the prepared copies; the model's own arrays stay. */
    @Override
    public void close() {
        closed = true;
        adapted.forEach(AdaptedLinear::free);
        for (EncoderLayer l : encoderLayers) {
            for (Linear linear : List.of(l.output, l.in, l.out)) {
                linear.free();
            }
        }
        for (DecoderLayer l : decoderLayers) {
            l.ffnIn.free();
            l.ffnOut.free();
        }
        adapted.clear();
        encoderLayers.clear();
        decoderLayers.clear();
    }

    /**
     * The loss of one batch part (the graph's placeholders, see {@link DecoderBatches}) and the gradients of
     * every adapter tensor: {@code rankLoss} true for the graph's {@code lm_rank_loss}, false for its LM
     * {@code loss} alone (generation targets).
     */
    public Result gradients(Map<String, INDArray> part, boolean rankLoss) {
        if (closed) {
            throw new IllegalStateException("this trainer was closed (its training run ended); make another");
        }
        try (Scratch scratch = new Scratch()) {
            Step step = new Step(part, rankLoss, scratch);
            try {
                return step.run();
            } catch (RuntimeException e) {
                step.gradients.values().forEach(Scratch::free); // nothing half-computed outlives a failed part
                throw e;
            }
        }
    }

    /** One part's forward and backward pass, and what the one keeps for the other. */
    private final class Step {

        private final Scratch scratch;
        private final boolean rankLoss;
        private final Map<String, INDArray> part;
        private final int heads = config.heads();
        private final int dim = config.dim();
        private final int head = config.dim() / config.heads();
        private final Map<String, INDArray> gradients = new HashMap<>();
        private int[] memoryOffsets;
        private int inputs;
        private int fanout;
        private int rows;
        private int length;
        private int[] targetLengths;

        Step(Map<String, INDArray> part, boolean rankLoss, Scratch scratch) {
            this.part = part;
            this.rankLoss = rankLoss;
            this.scratch = scratch;
        }

        Result run() {
            INDArray memory = packMemory();
            List<EncoderSaved> encoderSaved = new ArrayList<>();
            for (EncoderLayer layer : encoderLayers) {
                encoderSaved.add(encoderForward(layer, memory));
            }
            INDArray decoderInput = placeholder("decoder_input");
            rows = (int) decoderInput.rows();
            length = (int) decoderInput.columns();
            if (rows != inputs * fanout) {
                throw new IllegalArgumentException(rows + " decoder rows for " + inputs + " inputs of " + fanout + " rows each");
            }
            INDArray mask = placeholder("target_mask");
            targetLengths = new int[rows];
            for (int r = 0; r < rows; r++) {
                targetLengths[r] = (int) Math.round(mask.getRow(r).sumNumber().doubleValue());
            }
            INDArray x = scratch.keep(Nd4j.pullRows(table, 1, decoderInput.dup('c').data().asInt()));
            x.reshape(rows, (long) length * dim).addiRowVector(placeholder("positions").reshape(1, (long) length * dim));
            INDArray causal = placeholder("causal");
            List<DecoderSaved> decoderSaved = new ArrayList<>();
            for (DecoderLayer layer : decoderLayers) {
                decoderSaved.add(decoderForward(layer, x, memory, causal));
            }
            double[] loss = new double[1];
            INDArray dx = outputLayer(x, loss);
            INDArray dMemory = encoderLayers.isEmpty() ? null : scratch.keep(Nd4j.zeros(type, memory.rows(), dim));
            for (int layer = decoderLayers.size() - 1; layer >= 0; layer--) {
                decoderBackward(decoderLayers.get(layer), decoderSaved.get(layer), dx, memory, dMemory);
            }
            for (int layer = encoderLayers.size() - 1; layer >= 0; layer--) {
                dMemory = encoderBackward(encoderLayers.get(layer), encoderSaved.get(layer), dMemory, layer > 0);
            }
            if (!gradients.keySet().equals(variables)) {
                Set<String> missing = new TreeSet<>(variables);
                missing.removeAll(gradients.keySet());
                throw new IllegalStateException("the direct trainer computed no gradient for " + missing
                        + "; this adapter plan places adapters it does not know");
            }
            return new Result(loss[0], gradients);
        }

        private INDArray placeholder(String name) {
            INDArray a = part.get(name);
            if (a == null) {
                throw new IllegalArgumentException("the batch part has no '" + name + "'; expected DecoderLm's placeholders");
            }
            return a;
        }

        /** The inputs' real states, packed as rows [ΣS, D] (a padded input's masked states dropped). */
        private INDArray packMemory() {
            INDArray padded = placeholder("memory");
            INDArray bias = placeholder("memory_bias");
            inputs = (int) padded.size(0);
            fanout = (int) placeholder("fanout").size(1);
            memoryOffsets = new int[inputs + 1];
            for (int i = 0; i < inputs; i++) {
                int real = 0;
                while (real < padded.size(1) && bias.getDouble(i, 0, 0, real) == 0) {
                    real++;
                }
                memoryOffsets[i + 1] = memoryOffsets[i] + real;
            }
            INDArray memory = scratch.keep(Nd4j.createUninitialized(type, memoryOffsets[inputs], dim));
            for (int i = 0; i < inputs; i++) {
                memory.get(NDArrayIndex.interval(memoryOffsets[i], memoryOffsets[i + 1]), NDArrayIndex.all())
                        .assign(padded.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, memoryOffsets[i + 1] - memoryOffsets[i]),
                                NDArrayIndex.all()));
            }
            return memory;
        }

        // ---- the encoder's adapted layers ----

        private record EncoderSaved(INDArray input, INDArray queryKeyValue, List<INDArray> probabilities, Norm.Saved attentionNorm,
                INDArray z, Backward.Gelu hidden, Norm.Saved outputNorm) {
        }

        private EncoderSaved encoderForward(EncoderLayer layer, INDArray x) {
            INDArray input = scratch.keep(x.dup());
            INDArray qkv = scratch.keep(layer.queryKeyValue.apply(x));
            INDArray context = scratch.keep(Nd4j.createUninitialized(type, x.rows(), dim));
            List<INDArray> probabilities = new ArrayList<>();
            for (int i = 0; i < inputs; i++) {
                INDArray[] qkvHeads = heads(qkv, memoryOffsets[i], memoryOffsets[i + 1], 3, layer.heads);
                probabilities.add(attend(qkvHeads[0], qkvHeads[1], qkvHeads[2], 2, rowsOf(context, memoryOffsets[i], memoryOffsets[i + 1])));
            }
            x.addi(scratch.keep(layer.output.apply(context)));
            Norm.Saved attentionNorm = keep(layer.attentionNorm.applyInPlaceSaving(x));
            INDArray z = scratch.keep(layer.in.apply(x));
            Backward.Gelu hidden = keep(Backward.gelu(z));
            x.addi(scratch.keep(layer.out.apply(hidden.output())));
            return new EncoderSaved(input, qkv, probabilities, attentionNorm, z, hidden, keep(layer.outputNorm.applyInPlaceSaving(x)));
        }

        /** The gradient of the layer's input given its output's (null when {@code input} is false: the lowest layer's). */
        private INDArray encoderBackward(EncoderLayer layer, EncoderSaved s, INDArray dy, boolean input) {
            INDArray dOut = scratch.keep(layer.outputNorm.backward(dy, s.outputNorm));
            INDArray dHidden = scratch.keep(layer.out.backward(dOut));
            INDArray dz = scratch.keep(Backward.gelu(s.z, s.hidden, dHidden));
            INDArray dAttended = dOut.addi(scratch.keep(layer.in.backward(dz)));
            INDArray da = scratch.keep(layer.attentionNorm.backward(dAttended, s.attentionNorm));
            INDArray dContext = scratch.keep(layer.output.backward(da));
            INDArray dqkv = scratch.keep(Nd4j.zeros(type, da.rows(), 3L * dim));
            for (int i = 0; i < inputs; i++) {
                int from = memoryOffsets[i];
                int to = memoryOffsets[i + 1];
                INDArray[] qkvHeads = heads(s.queryKeyValue, from, to, 3, layer.heads);
                Backward.Attention g = keep(Backward.attention(qkvHeads[0], qkvHeads[1], qkvHeads[2], s.probabilities.get(i),
                        headsOf(dContext, from, to, layer.heads), input));
                putHeads(dqkv, from, to, 0, g.query());
                if (input) {
                    putHeads(dqkv, from, to, 1, g.key());
                }
                putHeads(dqkv, from, to, 2, g.value());
            }
            layer.queryKeyValue.updateGradients(s.input, dqkv, gradients);
            return input ? da.addi(scratch.keep(layer.queryKeyValue.backward(dqkv))) : null;
        }

        // ---- the decoder ----

        private record DecoderSaved(Norm.Saved selfNorm, INDArray selfNormed, INDArray selfQueryKeyValue, INDArray selfProbabilities,
                INDArray selfContext, Houlsby.Saved selfAdapter, Norm.Saved crossNorm, INDArray crossNormed, INDArray crossQuery,
                INDArray crossKeyValue, List<INDArray> crossProbabilities, INDArray crossContext, Houlsby.Saved crossAdapter,
                Norm.Saved ffnNorm, INDArray ffnZ, Backward.Gelu ffnHidden, Houlsby.Saved ffnAdapter) {
        }

        private DecoderSaved decoderForward(DecoderLayer layer, INDArray x, INDArray memory, INDArray causal) {
            // Causal self-attention, all rows at once as [R, H, T, dh].
            INDArray selfNormed = scratch.keep(x.dup());
            Norm.Saved selfNorm = keep(layer.selfNorm.applyInPlaceSaving(selfNormed));
            INDArray qkv = scratch.keep(layer.selfQueryKeyValue.apply(selfNormed));
            INDArray[] qkvHeads = selfHeads(qkv);
            INDArray scores = scratch.keep(Nd4j.matmul(qkvHeads[0], qkvHeads[1], false, true, false));
            scores.addi(scratch.keep(causal.reshape(1, 1, length, length).broadcast(scores.shape())));
            Nd4j.exec(new SoftMax(scores, scores, 3));
            INDArray selfContext = scratch.keep(Nd4j.createUninitialized(type, (long) rows * length, dim));
            selfContext.reshape(rows, length, heads, head).assign(scratch.keep(Nd4j.matmul(scores, qkvHeads[2])).permute(0, 2, 1, 3));
            Houlsby.Saved selfAdapter = adapter(layer.selfAdapter, scratch.keep(layer.selfOutput.apply(selfContext)));
            x.addi(adapterOutput(layer.selfAdapter, selfAdapter));

            // Cross-attention: an input's rows over its own states.
            INDArray crossNormed = scratch.keep(x.dup());
            Norm.Saved crossNorm = keep(layer.crossNorm.applyInPlaceSaving(crossNormed));
            INDArray query = scratch.keep(layer.crossQuery.apply(crossNormed));
            INDArray keyValue = scratch.keep(layer.crossKeyValue.apply(memory));
            INDArray crossContext = scratch.keep(Nd4j.createUninitialized(type, (long) rows * length, dim));
            List<INDArray> crossProbabilities = new ArrayList<>();
            for (int i = 0; i < inputs; i++) {
                int from = i * fanout * length;
                int to = (i + 1) * fanout * length;
                INDArray[] kv = heads(keyValue, memoryOffsets[i], memoryOffsets[i + 1], 2, heads);
                crossProbabilities.add(attend(headsOf(query, from, to, heads), kv[0], kv[1], 2, rowsOf(crossContext, from, to)));
            }
            Houlsby.Saved crossAdapter = adapter(layer.crossAdapter, scratch.keep(layer.crossOutput.apply(crossContext)));
            x.addi(adapterOutput(layer.crossAdapter, crossAdapter));

            // The feed-forward block.
            INDArray ffnNormed = scratch.keep(x.dup());
            Norm.Saved ffnNorm = keep(layer.ffnNorm.applyInPlaceSaving(ffnNormed));
            INDArray z = scratch.keep(layer.ffnIn.apply(ffnNormed));
            Backward.Gelu hidden = keep(Backward.gelu(z));
            Houlsby.Saved ffnAdapter = adapter(layer.ffnAdapter, scratch.keep(layer.ffnOut.apply(hidden.output())));
            x.addi(adapterOutput(layer.ffnAdapter, ffnAdapter));
            return new DecoderSaved(selfNorm, selfNormed, qkv, scores, selfContext, selfAdapter, crossNorm, crossNormed, query, keyValue,
                    crossProbabilities, crossContext, crossAdapter, ffnNorm, z, hidden, ffnAdapter);
        }

        /** Adds the layer's input gradient to {@code dx} (in place) given its output's, and {@code dMemory}'s share. */
        private void decoderBackward(DecoderLayer layer, DecoderSaved s, INDArray dx, INDArray memory, INDArray dMemory) {
            // The feed-forward block.
            INDArray dOut = adapterBackward(layer.ffnAdapter, s.ffnAdapter, dx);
            INDArray dz = scratch.keep(Backward.gelu(s.ffnZ, s.ffnHidden, scratch.keep(layer.ffnOut.backward(dOut))));
            dx.addi(scratch.keep(layer.ffnNorm.backward(scratch.keep(layer.ffnIn.backward(dz)), s.ffnNorm)));

            // Cross-attention.
            INDArray dCrossOut = adapterBackward(layer.crossAdapter, s.crossAdapter, dx);
            layer.crossOutput.updateGradients(s.crossContext, dCrossOut, gradients);
            INDArray dContext = scratch.keep(layer.crossOutput.backward(dCrossOut));
            INDArray dQuery = scratch.keep(Nd4j.createUninitialized(type, (long) rows * length, dim));
            INDArray dKeyValue = scratch.keep(Nd4j.createUninitialized(type, memory.rows(), 2L * dim));
            for (int i = 0; i < inputs; i++) {
                int from = i * fanout * length;
                int to = (i + 1) * fanout * length;
                INDArray[] kv = heads(s.crossKeyValue, memoryOffsets[i], memoryOffsets[i + 1], 2, heads);
                Backward.Attention g = keep(Backward.attention(headsOf(s.crossQuery, from, to, heads), kv[0], kv[1],
                        s.crossProbabilities.get(i), headsOf(dContext, from, to, heads), true));
                putHeads(dQuery, from, to, 0, g.query());
                putHeads(dKeyValue, memoryOffsets[i], memoryOffsets[i + 1], 0, g.key());
                putHeads(dKeyValue, memoryOffsets[i], memoryOffsets[i + 1], 1, g.value());
            }
            layer.crossKeyValue.updateGradients(memory, dKeyValue, gradients);
            if (dMemory != null) {
                dMemory.addi(scratch.keep(layer.crossKeyValue.backward(dKeyValue)));
            }
            layer.crossQuery.updateGradients(s.crossNormed, dQuery, gradients);
            dx.addi(scratch.keep(layer.crossNorm.backward(scratch.keep(layer.crossQuery.backward(dQuery)), s.crossNorm)));

            // Causal self-attention.
            INDArray dSelfOut = adapterBackward(layer.selfAdapter, s.selfAdapter, dx);
            layer.selfOutput.updateGradients(s.selfContext, dSelfOut, gradients);
            INDArray dSelfContext = scratch.keep(layer.selfOutput.backward(dSelfOut));
            INDArray[] qkvHeads = selfHeads(s.selfQueryKeyValue);
            Backward.Attention g = keep(Backward.attention(qkvHeads[0], qkvHeads[1], qkvHeads[2], s.selfProbabilities,
                    dSelfContext.reshape(rows, length, heads, head).permute(0, 2, 1, 3), true));
            INDArray dqkv = scratch.keep(Nd4j.createUninitialized(type, (long) rows * length, 3L * dim));
            INDArray dqkvParts = dqkv.reshape(rows, length, 3, heads, head);
            INDArray[] parts = {g.query(), g.key(), g.value()};
            for (int p = 0; p < 3; p++) {
                dqkvParts.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(p), NDArrayIndex.all(), NDArrayIndex.all())
                        .assign(parts[p].permute(0, 2, 1, 3));
            }
            layer.selfQueryKeyValue.updateGradients(s.selfNormed, dqkv, gradients);
            dx.addi(scratch.keep(layer.selfNorm.backward(scratch.keep(layer.selfQueryKeyValue.backward(dqkv)), s.selfNorm)));
        }

        /**
         * The final norm and the output layer on the real target tokens, the loss (into {@code loss[0]}) and the
         * gradient of the decoder's output rows [R·T, D] (zero at the padding).
         */
        private INDArray outputLayer(INDArray x, double[] loss) {
            int tokens = 0;
            for (int length : targetLengths) {
                tokens += length;
            }
            int[] real = new int[tokens];
            int n = 0;
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < targetLengths[r]; t++) {
                    real[n++] = r * length + t;
                }
            }
            INDArray last = scratch.keep(Nd4j.pullRows(x, 1, real));
            Norm.Saved norm = keep(finalNorm.applyInPlaceSaving(last));
            INDArray logits = scratch.keep(Linear.product(last, table, false, true, 1.0));
            Nd4j.exec(new LogSoftMax(logits, logits));
            int[][] targets = placeholder("targets").toIntMatrix();
            double[] sequence = new double[rows];
            n = 0;
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < targetLengths[r]; t++) {
                    sequence[r] += logits.getDouble(n++, targets[r][t]);
                }
            }
            // dL/d(a token's log-probability), the same for every token of a row: -(row weight) from the LM loss and,
            // from the rank loss, -(gold) + p·G, p the row's softmax over its input's rows and G the input's gold mass.
            double[] rowWeight = placeholder("lm_row_weight").toDoubleVector();
            double[] coefficient = new double[rows];
            double value = 0;
            for (int r = 0; r < rows; r++) {
                coefficient[r] = -rowWeight[r];
                value -= rowWeight[r] * sequence[r];
            }
            if (rankLoss) {
                double[][] gold = placeholder("gold_mask").toDoubleMatrix();
                for (int i = 0; i < inputs; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    double mass = 0;
                    for (int c = 0; c < fanout; c++) {
                        max = Math.max(max, sequence[i * fanout + c]);
                        mass += gold[i][c];
                    }
                    double sum = 0;
                    for (int c = 0; c < fanout; c++) {
                        sum += Math.exp(sequence[i * fanout + c] - max);
                    }
                    double logSum = max + Math.log(sum);
                    for (int c = 0; c < fanout; c++) {
                        double logP = sequence[i * fanout + c] - logSum;
                        value -= gold[i][c] * logP;
                        coefficient[i * fanout + c] += -gold[i][c] + Math.exp(logP) * mass;
                    }
                }
            }
            loss[0] = value;
            // dL/dlogits = coefficient · (one-hot(target) − softmax), row by row.
            INDArray dLogits = Transforms.exp(logits, false);
            double[] perToken = new double[tokens];
            n = 0;
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < targetLengths[r]; t++) {
                    perToken[n++] = -coefficient[r];
                }
            }
            dLogits.muliColumnVector(scratch.keep(Nd4j.createFromArray(perToken).castTo(type).reshape(tokens, 1)));
            n = 0;
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < targetLengths[r]; t++) {
                    dLogits.putScalar(n, targets[r][t], dLogits.getDouble(n, targets[r][t]) + coefficient[r]);
                    n++;
                }
            }
            INDArray dLast = scratch.keep(Linear.product(dLogits, table, false, false, 1.0));
            INDArray dReal = scratch.keep(finalNorm.backward(dLast, norm));
            INDArray dx = scratch.keep(Nd4j.zeros(type, (long) rows * length, dim));
            n = 0;
            for (int r = 0; r < rows; r++) {
                if (targetLengths[r] > 0) {
                    dx.get(NDArrayIndex.interval((long) r * length, (long) r * length + targetLengths[r]), NDArrayIndex.all())
                            .assign(dReal.get(NDArrayIndex.interval(n, n + targetLengths[r]), NDArrayIndex.all()));
                    n += targetLengths[r];
                }
            }
            return dx;
        }

        // ---- pieces ----

        private Houlsby.Saved adapter(Houlsby adapter, INDArray sublayerOutput) {
            return adapter.name() == null ? new Houlsby.Saved(sublayerOutput, null, null) : adapter.forward(sublayerOutput, scratch);
        }

        private INDArray adapterOutput(Houlsby adapter, Houlsby.Saved s) {
            return adapter.name() == null ? s.input() : adapter.output(s, scratch);
        }

        /** The gradient of a sublayer's output given its adapter's output's. */
        private INDArray adapterBackward(Houlsby adapter, Houlsby.Saved s, INDArray dy) {
            return adapter.name() == null ? dy : adapter.backward(s, dy, gradients, scratch);
        }

        /** {@code count} heads [H, L, D/H] of each of the {@code parts} side-by-side products in rows [from, to) of {@code rows}. */
        private INDArray[] heads(INDArray rows, int from, int to, int parts, int count) {
            INDArray view = rows.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).reshape(to - from, parts, count, dim / count);
            INDArray[] out = new INDArray[parts];
            for (int p = 0; p < parts; p++) {
                out[p] = BertLayer.part(view, p);
            }
            return out;
        }

        /** {@code count} heads [H, L, D/H] of rows [from, to) of {@code rows} [N, D]. */
        private INDArray headsOf(INDArray rows, int from, int to, int count) {
            return rows.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).reshape(to - from, count, dim / count).permute(1, 0, 2);
        }

        /** The self-attention's query, key and value heads [R, H, T, dh] of its fused product [R·T, 3D]. */
        private INDArray[] selfHeads(INDArray qkv) {
            INDArray parts = qkv.reshape(rows, length, 3, heads, head);
            INDArray[] out = new INDArray[3];
            for (int p = 0; p < 3; p++) {
                out[p] = parts.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(p), NDArrayIndex.all(), NDArrayIndex.all())
                        .permute(0, 2, 1, 3);
            }
            return out;
        }

        private INDArray rowsOf(INDArray rows, long from, long to) {
            return rows.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
        }

        /** softmax(q·kᵀ)·v written into {@code into} (rows [Lq, D]); returns the probabilities [H, Lq, Lk], kept. */
        private INDArray attend(INDArray q, INDArray k, INDArray v, int lastDimension, INDArray into) {
            INDArray p = scratch.keep(Nd4j.matmul(q, k, false, true, false));
            Nd4j.exec(new SoftMax(p, p, lastDimension));
            INDArray context = scratch.keep(Nd4j.matmul(p, v));
            into.assign(scratch.keep(context.permute(1, 0, 2).dup('c')).reshape(into.rows(), into.columns()));
            return p;
        }

        /** Writes heads [H, L, dh] into part {@code part} (of D columns each) of rows [from, to) of {@code rows}. */
        private void putHeads(INDArray rows, int from, int to, int part, INDArray heads) {
            rows.get(NDArrayIndex.interval(from, to), NDArrayIndex.interval((long) part * dim, (long) (part + 1) * dim))
                    .assign(scratch.keep(heads.permute(1, 0, 2).dup('c')).reshape(to - from, dim));
        }

        private Norm.Saved keep(Norm.Saved s) {
            scratch.keep(s.normalised());
            scratch.keep(s.deviation());
            return s;
        }

        private Backward.Gelu keep(Backward.Gelu g) {
            return DirectTrainer.keep(g, scratch);
        }

        private Backward.Attention keep(Backward.Attention g) {
            scratch.keep(g.query());
            scratch.keep(g.value());
            if (g.key() != null) {
                scratch.keep(g.key());
            }
            return g;
        }
    }
}
