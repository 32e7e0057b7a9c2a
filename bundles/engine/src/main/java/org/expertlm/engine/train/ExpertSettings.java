package org.expertlm.engine.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

import org.expertlm.engine.graph.AdapterPlan;

/**
 * The settings of an expert's training, as a JSON training configuration holds them.
 *
 * @param fullDecoder train the decoder's own weights instead of adapters (the MT baseline's full fine-tune)
 * @param houlsby sublayers with a Houlsby adapter after them (self, cross, ffn)
 * @param reduction Houlsby reduction factor
 * @param lora attention blocks with LoRA on their projections (self, cross)
 * @param loraRank LoRA rank
 * @param loraAlpha LoRA scale numerator
 * @param encoderLayers the encoder's top layers that get LoRA on their query and value projections (0 for none)
 * @param epochs the most epochs
 * @param batchSize inputs of two choices and up to 96 tokens per step (inputs with more choices or more
 *     tokens come fewer: a step's rows and activations stay the same)
 * @param learningRate peak learning rate
 * @param warmupSteps linear warm-up steps
 * @param weightDecay AdamW's decoupled weight decay
 * @param clipNorm global gradient norm clip
 * @param seed of the adapters' initial weights and the order of examples
 * @param patience epochs without a better validation score before stopping
 * @param maxTrainExamples examples taken from the training split (its first ones, in the catalog's order)
 * @param checkpointEvery steps between checkpoints (each with a progress line); there is one after every epoch too
 */
public record ExpertSettings(boolean fullDecoder, Set<String> houlsby, int reduction, Set<String> lora, int loraRank,
        double loraAlpha, int encoderLayers, int epochs, int batchSize, double learningRate, int warmupSteps, double weightDecay,
        double clipNorm, long seed, int patience, int maxTrainExamples, int checkpointEvery) {

    public ExpertSettings {
        // Sorted: a checkpoint is matched by the settings' JSON, and Set.copyOf's order changes from one JVM to the next.
        houlsby = Collections.unmodifiableSortedSet(new TreeSet<>(houlsby));
        lora = Collections.unmodifiableSortedSet(new TreeSet<>(lora));
        if (epochs < 1 || batchSize < 1 || patience < 1 || maxTrainExamples < 1 || checkpointEvery < 1
                || learningRate <= 0) {
            throw new IllegalArgumentException("invalid expert training settings: " + this);
        }
    }

    /** The adapter plan, or null for a full-decoder fine-tune. */
    public AdapterPlan plan() {
        return fullDecoder ? null : new AdapterPlan(houlsby, reduction, lora, loraRank, loraAlpha, encoderLayers, seed);
    }

    /** Reads settings from a JSON file; unknown or missing fields are errors that name them. */
    public static ExpertSettings read(Path file) throws IOException {
        return TrainingRuntime.readSettings(file, ExpertSettings.class, "configs/train/expert.json");
    }

    /** Reads settings from a configuration's JSON text; {@code source} names it in errors. */
    public static ExpertSettings read(String json, String source) throws IOException {
        return TrainingRuntime.readSettings(json, source, ExpertSettings.class, "configs/train/expert.json");
    }
}
