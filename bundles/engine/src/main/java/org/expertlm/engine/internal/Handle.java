package org.expertlm.engine.internal;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.expertlm.api.Evaluation;
import org.expertlm.api.ModelHandle;
import org.expertlm.api.ScoringInput;
import org.expertlm.api.TaskExample;
import org.expertlm.engine.lm.LoadedModel;

/** A lease on a model in the engine's cache, as the API hands it out. */
final class Handle implements ModelHandle {

    private final ModelCache.Lease<LoadedModel> lease;
    private final String name;

    /**
     * @param name the model's name as the caller opened it: two experts with the same tensors share one
     *     cached model, and each answer must name the expert it was asked of
     */
    Handle(ModelCache.Lease<LoadedModel> lease, String name) {
        this.lease = lease;
        this.name = name;
    }

    @Override
    public String modelName() {
        return name;
    }

    @Override
    public String digest() {
        return lease.digest();
    }

    @Override
    public List<double[]> score(List<ScoringInput> inputs, boolean lengthNormalised) {
        Objects.requireNonNull(inputs, "inputs");
        return inputs.isEmpty() ? List.of() : lease.model().score(inputs, lengthNormalised);
    }

    @Override
    public Evaluation evaluate(List<TaskExample> examples, Consumer<String> progress) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to measure the accuracy on");
        }
        // No warm-up: it would leave a few inputs' states in the encoder's cache, computed in another batch,
        // and the scores would then differ in float rounding from those the expert was validated with.
        LoadedModel model = lease.model();
        long start = System.nanoTime();
        double accuracy = model.accuracy(examples, progress);
        double seconds = (System.nanoTime() - start) / 1e9;
        TaskExample first = examples.get(0);
        return new Evaluation(name, first.task(), first.split().id(), examples.size(), accuracy, seconds,
                examples.size() / seconds);
    }

    @Override
    public String generate(String input, int beam, int maxTokens) {
        if (beam < 1 || maxTokens < 1) {
            throw new IllegalArgumentException("beam " + beam + " and maxTokens " + maxTokens + " must be at least 1");
        }
        return lease.model().generate(Objects.requireNonNull(input, "input"), beam, maxTokens);
    }

    @Override
    public void close() {
        lease.release();
    }

    @Override
    public String toString() {
        return "ModelHandle[" + name + "]";
    }
}
