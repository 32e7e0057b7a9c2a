package org.expertlm.engine.direct;

import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A frozen product under trainable LoRA updates, for training: x · (W + Σ factor · A·B) + b, each update
 * on a run of W's output columns (the query, key and value of a fused product each have their own).
 * The forward pass uses the updated weight, folded again by {@link #refresh} after every optimiser
 * step; the backward pass gives the input's gradient through it and the gradients of A and B through
 * the low-rank path (xᵀ·(dy·Bᵀ) and (x·A)ᵀ·dy, a few rank-wide products), never a gradient of W.
 */
public final class AdaptedLinear {

    /**
     * One LoRA update: {@code a} [in, rank] and {@code b} [rank, width] the model's trainable arrays, added
     * to output columns {@code column} to {@code column + width} scaled by {@code factor} (alpha / rank,
     * times any scale folded into the frozen product).
     */
    public record Lora(String name, INDArray a, INDArray b, long column, double factor) {
    }

    private final Linear frozen;
    private final List<Lora> updates;
    private Linear current;

    public AdaptedLinear(Linear frozen, List<Lora> updates) {
        this.frozen = frozen;
        this.updates = List.copyOf(updates);
        this.current = frozen;
        refresh();
    }

    /** Folds the updates' current values into the weight (after the optimiser changed them). */
    public void refresh() {
        if (updates.isEmpty()) {
            return;
        }
        INDArray weight = frozen.weight().dup('c');
        for (Lora u : updates) {
            INDArray delta = Linear.product(u.a(), u.b(), false, false, u.factor());
            weight.get(NDArrayIndex.all(), NDArrayIndex.interval(u.column(), u.column() + u.b().columns())).addi(delta);
            Scratch.free(delta);
        }
        Linear old = current;
        current = new Linear(weight, frozen.bias(), false);
        if (old != frozen) {
            Scratch.free(old.weight());
        }
    }

    /** The product of {@code rows} [N, in], a fresh array. */
    public INDArray apply(INDArray rows) {
        return current.apply(rows);
    }

    /** The input's gradient given the output's, a fresh array. */
    public INDArray backward(INDArray dy) {
        return current.backward(dy);
    }

    /** Puts the gradients of every update's A and B, given the product's input {@code x} and its output's gradient. */
    public void updateGradients(INDArray x, INDArray dy, Map<String, INDArray> gradients) {
        for (Lora u : updates) {
            INDArray part = dy.get(NDArrayIndex.all(), NDArrayIndex.interval(u.column(), u.column() + u.b().columns())).dup('c');
            INDArray throughB = Linear.product(part, u.b(), false, true, 1.0);
            INDArray da = Linear.product(x, throughB, true, false, u.factor());
            INDArray throughA = Linear.product(x, u.a(), false, false, 1.0);
            INDArray db = Linear.product(throughA, part, true, false, u.factor());
            gradients.put(u.name() + ".lora_a", da);
            gradients.put(u.name() + ".lora_b", db);
            Scratch.free(part);
            Scratch.free(throughB);
            Scratch.free(throughA);
        }
    }

    /** Frees the folded weight and the frozen product's own copies. */
    public void free() {
        if (current != frozen) {
            Scratch.free(current.weight());
        }
        current = frozen;
        frozen.free();
    }
}
