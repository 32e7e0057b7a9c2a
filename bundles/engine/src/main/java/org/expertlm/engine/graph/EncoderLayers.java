package org.expertlm.engine.graph;

import java.util.Map;

import org.expertlm.engine.tensor.FloatTensor;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The top layers of the MiniLM encoder as a trainable graph: post-layer-norm BERT blocks over padded
 * token states [B, S, D] (the states below them computed once per input), with the encoder's weights
 * as constants and LoRA on each layer's query and value projections. Written with 2-D products and
 * batched attention products only, whose backward passes work in ND4J 1.0.0-M2.1 (the inference
 * encoder's packed rows and {@code tensorMmul} would not train).
 */
public final class EncoderLayers {

    private static final int HEADS = 12;
    private static final double LAYER_NORM_EPSILON = 1e-12;

    private EncoderLayers() {
    }

    /**
     * Layers {@code from} to 5 (zero-based) over {@code states} [B, S, dim]; {@code keyBias} [B, 1, 1, S]
     * is 0 for real tokens and {@link DecoderBlocks#MASKED} for padding.
     */
    public static SDVariable top(SameDiff sd, SDVariable states, SDVariable keyBias, Map<String, FloatTensor> weights, int from,
            AdapterPlan plan, DataType type) {
        int dim = (int) weights.get("embeddings.LayerNorm.weight").shape()[0];
        SDVariable batchAndLength = sd.slice(sd.shape(states), new int[] {0}, 2);
        SDVariable headShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {HEADS, dim / HEADS}).castTo(batchAndLength.dataType())));
        SDVariable hiddenShape = sd.concat(0, batchAndLength,
                sd.constant(Nd4j.createFromArray(new long[] {dim}).castTo(batchAndLength.dataType())));
        Parameters frozen = Parameters.frozen(sd, weights, type);
        SDVariable x = states;
        for (int layer = from; layer < 6; layer++) {
            String p = "encoder.layer." + layer + ".";
            SDVariable rows = sd.reshape(x, -1, dim);
            SDVariable q = heads(sd, adapted(sd, rows, frozen, p + "attention.self.query", dim, plan, type), headShape);
            SDVariable k = heads(sd, linear(sd, rows, frozen, p + "attention.self.key", dim, dim), headShape);
            SDVariable v = heads(sd, adapted(sd, rows, frozen, p + "attention.self.value", dim, plan, type), headShape);
            SDVariable scores = sd.mmul(q, k, false, true, false).div(Math.sqrt(dim / (double) HEADS)).add(keyBias);
            SDVariable context = sd.reshape(sd.permute(sd.mmul(sd.nn.softmax(scores, 3), v), 0, 2, 1, 3), -1, dim);
            SDVariable attended = sd.reshape(linear(sd, context, frozen, p + "attention.output.dense", dim, dim), hiddenShape);
            x = layerNorm(sd, x.add(attended), frozen, p + "attention.output.LayerNorm", dim);
            int inner = (int) weights.get(p + "intermediate.dense.bias").shape()[0];
            SDVariable hidden = GraphOps.gelu(sd, linear(sd, sd.reshape(x, -1, dim), frozen, p + "intermediate.dense", dim, inner));
            SDVariable out = sd.reshape(linear(sd, hidden, frozen, p + "output.dense", inner, dim), hiddenShape);
            x = layerNorm(sd, x.add(out), frozen, p + "output.LayerNorm", dim);
        }
        return x;
    }

    private static SDVariable adapted(SameDiff sd, SDVariable rows, Parameters frozen, String name, int dim, AdapterPlan plan,
            DataType type) {
        SDVariable weight = frozen.get(name + ".weight", dim, dim);
        return Adapters.lora(sd, rows, weight, name, dim, dim, plan.loraRank(), plan.loraAlpha(), plan.seed(), type)
                .add(frozen.get(name + ".bias", dim));
    }

    private static SDVariable linear(SameDiff sd, SDVariable rows, Parameters frozen, String name, int in, int out) {
        return sd.mmul(rows, frozen.get(name + ".weight", in, out)).add(frozen.get(name + ".bias", out));
    }

    private static SDVariable heads(SameDiff sd, SDVariable rows, SDVariable headShape) {
        return sd.permute(sd.reshape(rows, headShape), 0, 2, 1, 3);
    }

    private static SDVariable layerNorm(SameDiff sd, SDVariable x, Parameters frozen, String name, int dim) {
        return GraphOps.layerNorm(sd, x, 2, frozen.get(name + ".weight", dim), frozen.get(name + ".bias", dim),
                LAYER_NORM_EPSILON);
    }
}
