package org.expertlm.eval.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.expertlm.api.Composer;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.Evaluator;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.LibraryTrainer;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.Retriever;
import org.expertlm.api.TaskCatalog;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The evaluation service: reads a configuration, runs its experiments ({@link EvalRun}) with score tables kept in
 * {@code <work>/eval/<name>/scores}, and writes the report and its plots (beside the report, in a folder of its name).
 * One run at a time.
 */
@Component(service = Evaluator.class)
public final class EvaluatorComponent implements Evaluator {

    private final TaskCatalog catalog;
    private final ExpertRegistry registry;
    private final Retriever retriever;
    private final NeuralEngine engine;
    private final ExpertFormat format;
    private final Path home;
    private final Path work;

    private final Path deploy;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Composer composer;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile LibraryTrainer libraryTrainer;

    @Activate
    public EvaluatorComponent(@Reference TaskCatalog catalog, @Reference ExpertRegistry registry, @Reference Retriever retriever,
            @Reference NeuralEngine engine, @Reference ExpertFormat format, BundleContext context) {
        this.format = format;
        this.catalog = catalog;
        this.registry = registry;
        this.retriever = retriever;
        this.engine = engine;
        this.home = Path.of(Objects.requireNonNullElse(context.getProperty(ContainerProperties.HOME), "."));
        this.work = Path.of(Objects.requireNonNullElse(context.getProperty(ContainerProperties.WORK_DIR), "work"));
        this.deploy = Path.of(Objects.requireNonNullElse(context.getProperty(ContainerProperties.DEPLOY_DIR), "deploy"));
    }

    @Override
    public synchronized Outcome run(Path configFile, boolean quick, Consumer<String> progress) {
        long start = System.nanoTime();
        EvalConfig full = EvalConfig.read(configFile);
        EvalConfig config = quick ? full.quick() : full;
        System.setProperty("java.awt.headless", "true");
        ScoreStore store = new ScoreStore(work.resolve("eval").resolve(config.name()).resolve("scores"), engine);
        progress.accept("evaluation " + config.name() + ": scores kept in " + work.resolve("eval").resolve(config.name()));
        ContinualRun continual = null;
        if (config.continual() != null) {
            LibraryTrainer trainer = libraryTrainer;
            if (trainer == null) {
                throw new IllegalStateException("experiment 3 trains new experts, and the library trainer is not running "
                        + "(bundle org.expertlm.registry); see elm:status");
            }
            continual = new ContinualRun(EvalConfig.resolve(home, config.continual()),
                    work.resolve("eval").resolve(config.name()).resolve("continual"), trainer, registry, retriever, deploy, format,
                    progress);
        }
        Results results = new EvalRun(config, quick ? 2 : Integer.MAX_VALUE, catalog, registry, retriever, composer, store,
                continual, progress).run();
        Path report = EvalConfig.resolve(home, config.report());
        String stem = report.getFileName().toString().replaceFirst("\\.md$", "").toLowerCase(java.util.Locale.ROOT);
        Path plots = report.resolveSibling(stem);
        List<Path> written = new ArrayList<>();
        if (!results.unseen.isEmpty()) {
            written.add(plots.resolve(config.name() + "-singles.png"));
            Charts.singlesAgainstBaseline(written.get(written.size() - 1), results);
            written.add(plots.resolve(config.name() + "-share.png"));
            Charts.shareOfGain(written.get(written.size() - 1), Report.shares(results));
            written.add(plots.resolve(config.name() + "-q.png"));
            Charts.accuracyAgainstQ(written.get(written.size() - 1), results, Report.meanBaseline(results, results.baselines.get(0)));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        TreeSet<String> bases = new TreeSet<>();
        TreeSet<String> seeds = new TreeSet<>();
        for (String name : results.experts) {
            var d = Composer.find(registry, composer, name).descriptor();
            bases.add(d.base().id());
            if (d.adapter() != null) {
                seeds.add(Long.toString(d.adapter().seed()));
            }
        }
        Report.Provenance provenance = new Report.Provenance(commit(), machine(), List.copyOf(bases), List.copyOf(seeds),
                home.relativize(configFile.toAbsolutePath().normalize()).toString() + (quick ? " --quick" : ""), seconds,
                store.scored(), store.reused(), quick);
        List<String> links = written.stream().map(p -> report.getParent().relativize(p).toString()).toList();
        write(report, Report.markdown(results, provenance, links));
        progress.accept(String.format("report written: %s (%d plots); %d score tables computed, %d reused, %.0f s", report,
                written.size(), store.scored(), store.reused(), seconds));
        List<String> experiments = results.continual == null ? List.of("unseen", "seen", "composition", "ablations")
                : List.of("unseen", "seen", "continual", "composition", "ablations");
        return new Outcome(report, written, experiments, store.scored(), store.reused(), seconds);
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the report " + file + " failed", e);
        }
    }

    /** The home's git commit, read from its .git folder (no git needed); "unknown" outside a clone. */
    private String commit() {
        try {
            Path git = home.resolve(".git");
            String head = Files.readString(git.resolve("HEAD")).strip();
            if (!head.startsWith("ref: ")) {
                return head;
            }
            String ref = head.substring(5);
            if (Files.isRegularFile(git.resolve(ref))) {
                return Files.readString(git.resolve(ref)).strip();
            }
            for (String line : Files.readAllLines(git.resolve("packed-refs"))) {
                if (line.endsWith(" " + ref)) {
                    return line.substring(0, line.indexOf(' '));
                }
            }
        } catch (IOException | RuntimeException notAClone) {
            // fall through
        }
        return "unknown";
    }

    private static String machine() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip() + ", " + Runtime.getRuntime().availableProcessors()
                            + " cores";
                }
            }
        } catch (IOException | RuntimeException unknown) {
            // fall through
        }
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
