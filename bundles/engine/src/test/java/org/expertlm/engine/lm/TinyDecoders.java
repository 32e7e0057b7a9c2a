package org.expertlm.engine.lm;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.expertlm.engine.encoder.MiniLmModel;
import org.expertlm.engine.graph.GradientCheck;
import org.expertlm.engine.tensor.FloatTensor;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A small decoder over the real MiniLM encoder, with seeded random weights, and inputs and answer
 * choices of different lengths: what the direct scorer's and trainer's tests hold against the graph.
 */
final class TinyDecoders {

    static final int[] VOCABULARY = {101, 102, 1996, 1997, 1998, 1999, 2000, 2001, 2002, 2003, 2004, 2005};
    static final DecoderConfig CONFIG = new DecoderConfig(2, 384, 6, 96, 8, VOCABULARY);
    static final List<String> TEXTS = List.of("A short input.",
            "A longer input, with a few more words in it than the first one has.",
            "Review: the film was long and the ending was not what anyone expected. Is it positive or negative?");
    static final List<List<int[]>> CHOICES = List.of(
            List.of(new int[] {1996, 102}, new int[] {1997, 1998, 102}, new int[] {102}),
            List.of(new int[] {2000, 2001, 2002, 102}, new int[] {1999, 102}, new int[] {2003, 102}),
            List.of(new int[] {2004, 102}, new int[] {2005, 2005, 2005, 2005, 102}, new int[] {1996, 1997, 102}));

    private TinyDecoders() {
    }

    /** A base model of {@link #CONFIG} over {@code encoder}, its weights seeded normals (norm gains about 1). */
    static BaseModel base(MiniLmModel encoder) {
        Random random = new Random(11);
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        BaseModel.expectedShapes(CONFIG).forEach((name, shape) -> {
            float[] values = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((name.endsWith("norm.weight") ? 1 : 0) + random.nextGaussian() * (name.endsWith(".bias") ? 0.02 : 0.1));
            }
            tensors.put(name, new FloatTensor(shape, values));
        });
        return new BaseModel("test@sha256:0", encoder.id(), CONFIG, tensors, "0", null);
    }

    /** Moves every trainable variable off its initial value (adapters start as the identity). */
    static void perturb(SameDiff sd) {
        for (String name : GradientCheck.trainable(sd)) {
            INDArray a = sd.getVariable(name).getArr();
            a.addi(Nd4j.randn(name.hashCode(), a.shape()).castTo(a.dataType()).muli(0.05));
        }
    }
}
