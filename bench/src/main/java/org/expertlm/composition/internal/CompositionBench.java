package org.expertlm.composition.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import org.expertlm.api.AdapterConfig;
import org.expertlm.api.AdapterTensors;
import org.expertlm.api.Composer.Recipe;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ExpertLibrary;
import org.expertlm.api.MergeMethod;
import org.expertlm.engine.lm.ExpertFiles;

/**
 * bench/composition: how long a merge takes, on the default library's real experts (Houlsby adapters after the
 * decoder's sublayers and rank-8 LoRA on the encoder's top two layers): every method merging 3 experts (p50, p95; the
 * LoRA updates ΔW = scale·A·B computed each time by the methods that look at the values, the linear ones stacking the
 * factors instead), then the uniform average of k = 1 … 32 experts, then 3 synthetic
 * experts of growing adapter size, and the memory a cached composite holds. The merge is timed apart from the SHA-256
 * of the composite's tensors that its description carries (the engine's cache key), which is reported on its own.
 */
public final class CompositionBench {

    private static final int RUNS = 40;
    private static final int WARM_UP = 200;

    private CompositionBench() {
    }

    public static void main(String[] args) throws Exception {
        Path library = Path.of(args[0]);
        List<Expert> experts = read(library);
        if (experts.size() < 32) {
            throw new IllegalStateException("the default library at " + library + " holds " + experts.size() + " adapter experts; "
                    + "this benchmark merges up to 32 (see expert-bundles/README.md)");
        }
        System.out.printf("%d adapter experts of the default library; each %d tensors, %d values (%.2f MB)%n", experts.size(),
                experts.get(0).tensors().names().size(), experts.get(0).tensors().count(), experts.get(0).tensors().bytes() / 1e6);
        List<MergeMethod> methods = List.of(new UniformAverage(), new WeightedAverage(), new TaskArithmetic(), new Ties(), new Dare(),
                new DareTies());
        List<String> names = List.of(UniformAverage.NAME, WeightedAverage.NAME, TaskArithmetic.NAME, Ties.NAME, Dare.NAME,
                DareTies.NAME);
        List<Expert> three = experts.subList(0, 3);
        // Warm-up to the steady state of a running container: in one JVM, TIES's p50 settled after about 200 merges
        // (8 to 15 ms over the first hundred, about 6 ms from the 150th on), as the compiler and the heap's sizing did.
        for (int warm = 0; warm < WARM_UP; warm++) {
            for (int m = 0; m < methods.size(); m++) {
                time(three, names.get(m), methods.get(m));
            }
        }
        System.out.println();
        System.out.println("3 experts, by method (ms; target: at most 10 with the LoRA updates included)");
        System.out.printf("%-16s %8s %8s%n", "method", "p50", "p95");
        for (int m = 0; m < methods.size(); m++) {
            double[] t = runs(three, names.get(m), methods.get(m));
            System.out.printf("%-16s %8.2f %8.2f%n", names.get(m), percentile(t, 50), percentile(t, 95));
        }
        Expert composite = Composition.merge("bench", Recipe.of(names(three), UniformAverage.NAME), three, new UniformAverage(),
                start(three.get(0)));
        double[] digest = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            AdapterTensors fresh = copy(composite.tensors());
            long start = System.nanoTime();
            fresh.sha256();
            digest[r] = (System.nanoTime() - start) / 1e6;
        }
        System.out.printf("%-16s %8.2f %8.2f   (the average's SHA-256 of its %.2f MB, part of its figure)%n", "of which digest",
                percentile(digest, 50), percentile(digest, 95), composite.tensors().bytes() / 1e6);
        Expert elected = Composition.merge("bench", Recipe.of(names(three), Ties.NAME), three, new Ties(), start(three.get(0)));
        for (int r = 0; r < RUNS; r++) {
            AdapterTensors fresh = copy(elected.tensors());
            long start = System.nanoTime();
            fresh.sha256();
            digest[r] = (System.nanoTime() - start) / 1e6;
        }
        System.out.printf("%-16s %8.2f %8.2f   (TIES's SHA-256 of its %.2f MB, the updates carried whole; so DARE's)%n",
                "of which digest", percentile(digest, 50), percentile(digest, 95), elected.tensors().bytes() / 1e6);

        System.out.println();
        System.out.println("where the time of 3 goes for the methods that look at the values (ms, p50): the LoRA updates, the method"
                + " over every tensor, the composite's tensors");
        System.out.printf("%-16s %8s %8s %8s%n", "method", "updates", "method", "tensors");
        for (int m = 0; m < methods.size(); m++) {
            if (methods.get(m).linearCoefficients(new double[] {1, 1, 1}, new MergeMethod.Parameters(0.5, 1, 1, "")).isPresent()) {
                continue;
            }
            double[][] phases = new double[3][RUNS];
            for (int r = 0; r < RUNS; r++) {
                long t0 = System.nanoTime();
                List<DeltaSpace.Vectors> vectors = new ArrayList<>();
                for (Expert e : three) {
                    vectors.add(DeltaSpace.of(e.descriptor().adapter(), e.tensors(), start(e)));
                }
                long t1 = System.nanoTime();
                Map<String, float[]> merged = new TreeMap<>();
                for (String tensor : vectors.get(0).shapes().keySet()) {
                    merged.put(tensor, methods.get(m).merge(vectors.stream().map(v -> v.values().get(tensor)).toList(),
                            new double[] {1, 1, 1}, new MergeMethod.Parameters(0.5, 1, 1, tensor)));
                }
                long t2 = System.nanoTime();
                DeltaSpace.tensors(new DeltaSpace.Vectors(merged, vectors.get(0).shapes()), start(three.get(0)),
                        AdapterTensors.builder());
                long t3 = System.nanoTime();
                phases[0][r] = (t1 - t0) / 1e6;
                phases[1][r] = (t2 - t1) / 1e6;
                phases[2][r] = (t3 - t2) / 1e6;
            }
            System.out.printf("%-16s %8.2f %8.2f %8.2f%n", names.get(m), percentile(phases[0], 50), percentile(phases[1], 50),
                    percentile(phases[2], 50));
        }

        System.out.println();
        System.out.println("uniform average of k experts (ms)");
        System.out.printf("%-6s %8s %8s%n", "k", "p50", "p95");
        for (int k : new int[] {1, 2, 4, 8, 16, 32}) {
            double[] t = runs(experts.subList(0, k), UniformAverage.NAME, new UniformAverage());
            System.out.printf("%-6d %8.2f %8.2f%n", k, percentile(t, 50), percentile(t, 95));
        }

        System.out.println();
        System.out.println("3 synthetic experts, uniform average and TIES, by adapter size (ms, p50)");
        System.out.printf("%-44s %10s %10s %10s%n", "adapter (Houlsby reduction, LoRA rank)", "MB each", "average", "ties");
        AdapterConfig real = experts.get(0).descriptor().adapter();
        for (int[] size : new int[][] {{64, 4}, {32, 8}, {16, 16}, {8, 32}, {4, 64}}) {
            List<Expert> synthetic = new ArrayList<>();
            for (int e = 0; e < 3; e++) {
                synthetic.add(synthetic(experts.get(e), new AdapterConfig(real.houlsby(), size[0], real.lora(), size[1], 2.0 * size[1],
                        real.encoderLayers(), real.seed()), e));
            }
            for (int warm = 0; warm < 3; warm++) {
                time(synthetic, UniformAverage.NAME, new UniformAverage());
            }
            System.out.printf("%-44s %10.2f %10.2f %10.2f%n", "reduction " + size[0] + ", rank " + size[1],
                    synthetic.get(0).tensors().bytes() / 1e6, percentile(runs(synthetic, UniformAverage.NAME, new UniformAverage()), 50),
                    percentile(runs(synthetic, Ties.NAME, new Ties()), 50));
        }

        System.out.println();
        long members = three.stream().mapToLong(e -> {
            try {
                return e.tensors().bytes();
            } catch (IOException x) {
                throw new IllegalStateException(x);
            }
        }).sum() / 3;
        Expert ties = Composition.merge("bench", Recipe.of(names(three), Ties.NAME), three, new Ties(), start(three.get(0)));
        System.out.printf("memory of a cached composite of 3 (MB of tensors; a member's: %.2f): average %.2f (the LoRA pairs "
                + "stacked, rank %d), TIES %.2f (the updates ΔW carried whole, plan rank %d); the engine "
                + "holds its loaded model beside, under its budget%n", members / 1e6, composite.tensors().bytes() / 1e6,
                composite.descriptor().adapter().loraRank(), ties.tensors().bytes() / 1e6, ties.descriptor().adapter().loraRank());
    }

    /**
     * Zeros in the shapes of the expert's tensors, standing in for its plan's seeded start (the engine's, which this
     * benchmark does not load): the merge subtracts and adds it back whatever its values.
     */
    private static AdapterTensors start(Expert e) throws IOException {
        AdapterTensors t = e.tensors();
        AdapterTensors.Builder b = AdapterTensors.builder();
        t.names().forEach(n -> b.put(n, t.shape(n), new float[(int) AdapterTensors.count(t.shape(n))]));
        return b.build();
    }

    private static double[] runs(List<Expert> members, String name, MergeMethod method) throws IOException {
        double[] t = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            t[r] = time(members, name, method);
        }
        return t;
    }

    /** One merge, timed: the members' updates, the method over every tensor, the composite's tensors and description. */
    private static double time(List<Expert> members, String name, MergeMethod method) throws IOException {
        Recipe recipe = Recipe.of(names(members), name).withDensity(0.5).withSeed(1);
        long start = System.nanoTime();
        Composition.merge("bench", recipe, members, method, start(members.get(0)));
        return (System.nanoTime() - start) / 1e6;
    }

    private static List<String> names(List<Expert> members) {
        return members.stream().map(e -> e.descriptor().name()).toList();
    }

    /** An expert like {@code like} with the adapter sizes of {@code plan} and seeded random values. */
    private static Expert synthetic(Expert like, AdapterConfig plan, int seed) throws IOException {
        AdapterTensors real = like.tensors();
        AdapterTensors.Builder b = AdapterTensors.builder();
        real.metadata().forEach(b::metadata);
        SplittableRandom random = new SplittableRandom(seed);
        for (String name : real.names()) {
            long[] shape = real.shape(name);
            long dim = Math.max(shape[0], shape.length > 1 ? shape[1] : 0);
            if (name.endsWith(".down.weight")) {
                shape = new long[] {dim, dim / plan.reduction()};
            } else if (name.endsWith(".down.bias")) {
                shape = new long[] {384 / plan.reduction()};
            } else if (name.endsWith(".up.weight")) {
                shape = new long[] {dim / plan.reduction(), dim};
            } else if (name.endsWith(DeltaSpace.LORA_A)) {
                shape = new long[] {shape[0], plan.loraRank()};
            } else if (name.endsWith(DeltaSpace.LORA_B)) {
                shape = new long[] {plan.loraRank(), shape[1]};
            }
            float[] v = new float[(int) AdapterTensors.count(shape)];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) (random.nextGaussian() * 0.02);
            }
            b.put(name, shape, v);
        }
        AdapterTensors t = b.build();
        ExpertDescriptor d = like.descriptor();
        return new CompositeExpert(new ExpertDescriptor(d.id() + ".synthetic" + seed, d.version(), d.task(), d.templates(), d.kind(),
                d.base(), plan, d.answers(), t.sha256(), "{}"), t, like.library());
    }

    private static AdapterTensors copy(AdapterTensors t) {
        AdapterTensors.Builder b = AdapterTensors.builder();
        t.metadata().forEach(b::metadata);
        t.names().forEach(n -> b.put(n, t.shape(n), t.values(n)));
        return b.build();
    }

    /** The library's adapter experts (full-decoder fine-tunes left out), read from their jars. */
    private static List<Expert> read(Path library) throws IOException {
        List<Expert> experts = new ArrayList<>();
        try (Stream<Path> jars = Files.list(library)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                try (ZipFile zip = new ZipFile(jar.toFile())) {
                    ExpertDescriptor d;
                    try (InputStream in = zip.getInputStream(zip.getEntry(ExpertFiles.DESCRIPTION))) {
                        d = ExpertFiles.readDescriptor(in, jar + "!/" + ExpertFiles.DESCRIPTION);
                    }
                    if (d.isFullDecoder()) {
                        continue;
                    }
                    AdapterTensors t;
                    try (InputStream in = zip.getInputStream(zip.getEntry(ExpertFiles.TENSORS))) {
                        t = AdapterTensors.read(in, jar + "!/" + ExpertFiles.TENSORS);
                    }
                    t.sha256();
                    experts.add(new CompositeExpert(d, t, new ExpertLibrary(List.of(), List.of(), "", "")));
                }
            }
        }
        return experts;
    }

    private static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

}
