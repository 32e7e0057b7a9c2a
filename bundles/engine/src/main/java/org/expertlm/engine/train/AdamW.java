package org.expertlm.engine.train;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.graph.ClosingMemoryManager;
import org.expertlm.engine.graph.Parameters;
import org.expertlm.engine.graph.SideBySide;
import org.expertlm.engine.lm.DirectTrainer;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.SafeTensors;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AdamW over a graph's trainable variables: the learning rate warms up linearly for
 * {@code warmupSteps}, then decays linearly to zero at {@code totalSteps}; gradients are clipped to a
 * global norm; weight decay is decoupled (applied to the weights, not through the gradient). Only
 * the named variables change: everything else in the graph (a frozen base) is never written.
 *
 * <p>A checkpoint holds the variables, both moment estimates and the step, in one safetensors file
 * ({@code param/…}, {@code m/…}, {@code v/…}); resuming from it continues exactly where an
 * uninterrupted run would be.
 */
public final class AdamW implements AutoCloseable {

    /**
     * The optimiser's settings.
     *
     * @param learningRate the peak learning rate
     * @param beta1 first-moment decay
     * @param beta2 second-moment decay
     * @param epsilon added to the denominator
     * @param weightDecay decoupled weight decay
     * @param warmupSteps steps of linear warm-up
     * @param totalSteps the step at which the rate reaches zero
     * @param clipNorm the largest global gradient norm (0 for none)
     */
    public record Config(double learningRate, double beta1, double beta2, double epsilon, double weightDecay,
            int warmupSteps, int totalSteps, double clipNorm) {

        public Config {
            if (learningRate <= 0 || totalSteps < 1 || warmupSteps < 0 || warmupSteps > totalSteps || clipNorm < 0) {
                throw new IllegalArgumentException("invalid AdamW settings: learning rate " + learningRate + ", warm-up "
                        + warmupSteps + " of " + totalSteps + " steps, clip norm " + clipNorm
                        + "; expected a positive rate, at least one step, a warm-up within the steps and a clip norm >= 0");
            }
        }
    }

    private final SameDiff sd;
    private final List<SameDiff> graphs;
    private final SideBySide workers;
    private final List<String> variables;
    private final String loss;
    /** Computes the gradients instead of the graphs' differentiation, or null (see {@link DirectTrainer}). */
    private final DirectTrainer direct;
    private final Config config;
    private final Map<String, INDArray> m = new HashMap<>();
    private final Map<String, INDArray> v = new HashMap<>();
    private final Map<String, INDArray> scratch = new HashMap<>();
    private int step;

    /** An optimiser of {@code variables} of {@code sd} that minimises the output {@code loss}. */
    public AdamW(SameDiff sd, List<String> variables, String loss, Config config) {
        this(List.of(sd), null, variables, loss, config);
    }

    /**
     * An optimiser of {@code variables} shared by {@code graphs} (the first graph and its replicas, see
     * {@code DecoderLm#replica}) whose steps compute their parts on the graphs side by side, on
     * {@code workers}, and add up the parts' gradients.
     */
    public AdamW(List<SameDiff> graphs, SideBySide workers, List<String> variables, String loss, Config config) {
        if (graphs.isEmpty() || graphs.size() > 1 && workers == null) {
            throw new IllegalArgumentException(graphs.size() + " graphs" + (workers == null ? " and no workers" : "")
                    + "; expected at least one graph, and workers to run several side by side");
        }
        this.sd = graphs.get(0);
        this.graphs = List.copyOf(graphs);
        this.workers = workers;
        this.variables = List.copyOf(variables);
        this.loss = loss;
        this.direct = null;
        this.config = config;
        for (SameDiff graph : graphs) {
            if (!graph.getLossVariables().equals(List.of(loss))) {
                // SameDiff differentiates the graph's loss variables, whatever output a step asks for.
                if (graph.hasGradientFunction()) {
                    throw new IllegalStateException("the graph's gradients were built for the loss " + graph.getLossVariables()
                            + ", not " + loss + "; create the optimiser before anything computes gradients");
                }
                graph.setLossVariables(loss);
            }
            buildGradientsQuietly(graph);
        }
        zeroMoments();
    }

    /**
     * An optimiser of {@code variables} of {@code sd} (an expert's adapters) whose gradients {@code trainer}
     * computes, without the graph's differentiation; a step's parts run side by side on {@code workers}.
     * {@code loss} is the graph's name of what the trainer computes: {@code lm_rank_loss} or {@code loss}.
     */
    public AdamW(SameDiff sd, DirectTrainer trainer, SideBySide workers, List<String> variables, String loss, Config config) {
        if (!loss.equals("lm_rank_loss") && !loss.equals("loss")) {
            throw new IllegalArgumentException("the direct trainer computes lm_rank_loss or loss, not " + loss);
        }
        this.sd = sd;
        this.graphs = List.of(sd);
        this.workers = workers;
        this.variables = List.copyOf(variables);
        this.loss = loss;
        this.direct = trainer;
        this.config = config;
        zeroMoments();
    }

    private void zeroMoments() {
        for (String name : variables) {
            INDArray w = sd.getVariable(name).getArr();
            m.put(name, Nd4j.zeros(w.dataType(), w.shape()));
            v.put(name, Nd4j.zeros(w.dataType(), w.shape()));
        }
    }

    /**
     * Builds the gradient graph now, with standard output muted: ND4J 1.0.0-M2.1 prints a line per
     * operation to {@code System.out} while it differentiates, which would flood a console session.
     */
    private static synchronized void buildGradientsQuietly(SameDiff sd) {
        if (sd.hasGradientFunction()) {
            return;
        }
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(out);
        }
    }

    /** The learning rate at a (zero-based) step. */
    public static double learningRate(Config c, int step) {
        if (step < c.warmupSteps()) {
            return c.learningRate() * (step + 1) / c.warmupSteps();
        }
        int decay = c.totalSteps() - c.warmupSteps();
        return decay == 0 ? c.learningRate() : c.learningRate() * Math.max(0, c.totalSteps() - step) / (double) decay;
    }

    /** Scales the gradients in place so that their global norm is at most {@code clipNorm}; returns the norm before. */
    public static double clip(Map<String, INDArray> gradients, double clipNorm) {
        double sum = 0;
        for (INDArray g : gradients.values()) {
            double n = g.norm2Number().doubleValue();
            sum += n * n;
        }
        double norm = Math.sqrt(sum);
        if (clipNorm > 0 && norm > clipNorm) {
            gradients.values().forEach(g -> g.muli(clipNorm / norm));
        }
        return norm;
    }

    /** One step on {@code batch}; returns the loss before the update. */
    public double step(Map<String, INDArray> batch) {
        return step(List.of(batch));
    }

    /**
     * One step on a batch given as parts whose losses sum to the batch's (see
     * {@code DecoderLm#classificationParts}); the parts run side by side on the graphs. Returns the
     * batch's loss before the update.
     */
    public double step(List<Map<String, INDArray>> parts) {
        if (direct == null && graphs.size() == 1 && parts.size() != 1) {
            throw new IllegalArgumentException(parts.size() + " parts for an optimiser of one graph; expected one");
        }
        // One graph: its gradients are used where the run left them and freed after the update, on this thread.
        boolean inPlace = direct == null && graphs.size() == 1;
        List<Part> computed;
        if (direct != null) {
            direct.refresh(); // the LoRA updates as the last step left them
            boolean rankLoss = loss.equals("lm_rank_loss");
            computed = parts.size() == 1 || workers == null ? parts.stream().map(p -> directPart(p, rankLoss)).toList()
                    : workers.map(parts, Collections.nCopies(workers.threads(), direct), (trainer, part) -> directPart(part, rankLoss),
                            done -> { });
        } else {
            computed = inPlace ? parts.stream().map(p -> gradients(sd, p, false)).toList()
                    : workers.map(parts, graphs, (graph, part) -> gradients(graph, part, true), done -> { });
        }
        double value = 0;
        Map<String, INDArray> gradients = computed.get(0).gradients();
        for (Part part : computed) {
            value += part.loss();
            if (part != computed.get(0)) {
                // Added in the parts' order, whichever finished first: the same parts give the same step.
                part.gradients().forEach((name, g) -> {
                    gradients.get(name).addi(g);
                    g.close();
                });
            }
        }
        clip(gradients, config.clipNorm());
        double lr = learningRate(config, step);
        step++;
        double correction1 = 1 - Math.pow(config.beta1(), step);
        double correction2 = 1 - Math.pow(config.beta2(), step);
        // In place, with one scratch array per variable: a step allocates no parameter-sized arrays beyond
        // the gradients, which are freed at once. (Garbage off the Java heap would wait for a collection that a
        // small heap rarely needs: a training run's memory grew to the physical cap that way.)
        for (String name : variables) {
            INDArray g = gradients.get(name);
            INDArray w = sd.getVariable(name).getArr();
            INDArray scratch = this.scratch.computeIfAbsent(name, n -> w.ulike());
            INDArray vt = v.get(name).muli(config.beta2()).addi(scratch.assign(g).muli(g).muli(1 - config.beta2()));
            INDArray mt = m.get(name).muli(config.beta1()).addi(g.muli(1 - config.beta1()));
            Transforms.sqrt(scratch.assign(vt).divi(correction2), false).addi(config.epsilon()).rdivi(mt);
            w.subi(scratch.muli(lr / correction1)).muli(1 - lr * config.weightDecay());
            g.close();
        }
        if (inPlace) {
            ClosingMemoryManager.freeGradientRun(sd);
        }
        return value;
    }

    /** A part's loss and gradients. */
    private record Part(double loss, Map<String, INDArray> gradients) {
    }

    private Part directPart(Map<String, INDArray> part, boolean rankLoss) {
        DirectTrainer.Result result = direct.gradients(part, rankLoss);
        return new Part(result.loss(), new HashMap<>(result.gradients()));
    }

    /**
     * The loss and gradients of a part; with {@code copy}, copies, and the gradient run's arrays freed now
     * (they must be freed on the thread that computed them: a worker's).
     */
    private Part gradients(SameDiff graph, Map<String, INDArray> part, boolean copy) {
        ClosingMemoryManager.installForThisThread(graph);
        OutAndGrad result = graph.calculateGradientsAndOutputs(part, List.of(loss), variables);
        double value = result.getOutputs().get(loss).getDouble(0);
        if (!copy) {
            return new Part(value, new HashMap<>(result.getGradients()));
        }
        Map<String, INDArray> gradients = new HashMap<>();
        result.getGradients().forEach((name, g) -> gradients.put(name, g.dup()));
        ClosingMemoryManager.freeGradientRun(graph);
        return new Part(value, gradients);
    }

    public Config config() {
        return config;
    }

    public int stepsTaken() {
        return step;
    }

    /** Writes the variables, the moments and the step to {@code file} (safetensors, F32). */
    public void save(Path file) throws IOException {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (String name : variables) {
            tensors.put("param/" + name, Parameters.tensor(sd.getVariable(name).getArr()));
            tensors.put("m/" + name, Parameters.tensor(m.get(name)));
            tensors.put("v/" + name, Parameters.tensor(v.get(name)));
        }
        SafeTensors.write(file, tensors, Map.of("step", Integer.toString(step), "optimizer", "adamw", "config", config.toString()));
    }

    /** Restores what {@link #save} wrote; the file must hold exactly this optimiser's variables and shapes. */
    public void restore(Path file) throws IOException {
        Map<String, long[]> expected = new LinkedHashMap<>();
        for (String name : variables) {
            long[] shape = sd.getVariable(name).getArr().shape();
            for (String part : new String[] {"param/", "m/", "v/"}) {
                expected.put(part + name, shape);
            }
        }
        SafeTensors.Contents contents = SafeTensors.read(file, expected);
        for (String name : variables) {
            INDArray w = sd.getVariable(name).getArr();
            w.assign(array(contents.tensors().get("param/" + name), w.dataType()));
            m.get(name).assign(array(contents.tensors().get("m/" + name), w.dataType()));
            v.get(name).assign(array(contents.tensors().get("v/" + name), w.dataType()));
        }
        String saved = contents.metadata().get("step");
        if (saved == null) {
            throw new IOException(file + " has no step in its metadata; it is not an AdamW checkpoint");
        }
        step = Integer.parseInt(saved);
    }

    private static INDArray array(FloatTensor t, DataType type) {
        return Nd4j.create(t.values(), t.shape(), 'c').castTo(type);
    }

    /** Frees the moments now rather than when a collection finds them (the graph's own weights are its owner's to free). */
    @Override
    public void close() {
        for (Map<String, INDArray> moments : List.of(m, v)) {
            moments.values().stream().filter(a -> !a.wasClosed() && a.closeable()).forEach(INDArray::close);
            moments.clear();
        }
    }

    /** The names of {@code sd}'s trainable variables, for callers that train all of them. */
    public static List<String> trainableVariables(SameDiff sd) {
        List<String> names = new ArrayList<>();
        sd.variables().stream().filter(x -> x.getVariableType() == VariableType.VARIABLE)
                .forEach(x -> names.add(x.name()));
        return names;
    }
}
