package org.expertlm.engine.lm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.train.ExpertTraining;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A base model, or an expert over its base model, ready to score answer choices and to generate:
 * the encoder's states of an input are computed once and shared by every choice.
 */
public final class LoadedModel {

    private final String id;
    private final MiniLmModel encoder;
    private final DecoderLm lm;
    private final int memoryLayers;

    private LoadedModel(String id, MiniLmModel encoder, DecoderLm lm, int memoryLayers) {
        this.id = id;
        this.encoder = encoder;
        this.lm = lm;
        this.memoryLayers = memoryLayers;
    }

    /** Loads {@code folder}: a base model, or an expert whose base model is {@code base}. */
    public static LoadedModel load(Path folder, BaseModel base, MiniLmModel encoder) throws IOException {
        if (!base.encoderId().equals(encoder.id())) {
            throw new IOException("base model " + base.id() + " was trained over encoder " + base.encoderId() + ", not "
                    + encoder.id());
        }
        SameDiff sd = SameDiff.create();
        if (!Expert.isExpert(folder)) {
            return new LoadedModel(base.id(), encoder, DecoderLm.build(base.config(), encoder.wordEmbeddings(), sd,
                    Parameters.frozen(sd, base.tensors(), DataType.FLOAT), DataType.FLOAT), DecoderLm.memoryLayers(null));
        }
        Expert expert = Expert.read(folder, base);
        DecoderLm lm = expert.plan() == null ? DecoderLm.fineTuning(base, encoder.weights(), sd, DataType.FLOAT)
                : DecoderLm.withAdapters(base, encoder.weights(), sd, expert.plan(), DataType.FLOAT);
        lm.load(expert.tensors());
        return new LoadedModel(expert.id(), encoder, lm, DecoderLm.memoryLayers(expert.plan()));
    }

    public String id() {
        return id;
    }

    /** Each choice's summed log-probability given the input (the paper's rule), optionally divided by its length. */
    public double[] score(String input, List<String> choices, boolean lengthNormalised) {
        float[][] states = states(input);
        List<int[]> answers = new ArrayList<>();
        choices.forEach(c -> answers.add(ExpertTraining.answer(encoder.tokenizer(), lm, c)));
        return lm.score(states, answers, lengthNormalised);
    }

    /** Rank-classification accuracy on classification examples. */
    public double accuracy(List<ExpertTraining.Example> examples) {
        return ExpertTraining.accuracy(lm, encoder, memoryLayers, examples);
    }

    /** The continuation the decoder generates for the input: greedy when {@code beam} is 1, else beam search. */
    public String generate(String input, int beam, int maxTokens) {
        float[][] states = states(input);
        Generator generator = new Generator(lm, encoder.tokenizer().sepId());
        Generator.Hypothesis best = beam <= 1 ? generator.greedy(states, maxTokens) : generator.beam(states, beam, maxTokens).get(0);
        return encoder.tokenizer().decode(best.tokens());
    }

    /** The encoder's states of the input up to where this model's own graph takes over (shared by every model taking over there). */
    private float[][] states(String input) {
        return encoder.cachedTokenStates(List.of(input), memoryLayers).get(0);
    }
}
