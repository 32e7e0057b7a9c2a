package org.expertlm.api;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs the evaluation a configuration (format {@value #FORMAT}, e.g. configs/eval/full.json) describes over the
 * installed experts and writes its report: Markdown with PNG plots. Every score an expert gives an instance is kept in
 * the run's work folder, so a run interrupted, or run again with the same configuration, scores only what is missing
 * and gives the same numbers.
 *
 * <pre>{@code
 * Evaluator.Outcome o = evaluator.run(Path.of("configs/eval/full.json"), false, System.out::println);
 * System.out.println(o.report() + ": " + o.scored() + " scored, " + o.reused() + " reused");
 * }</pre>
 */
@ProviderType
public interface Evaluator {

    /** The format name an evaluation configuration carries. */
    String FORMAT = "elm-eval/1";

    /**
     * What a run did.
     *
     * @param report the Markdown report it wrote
     * @param plots the PNG plots beside it
     * @param experiments the experiments it ran, by name, in order
     * @param scored how many (expert, template) score tables it computed
     * @param reused how many it found already computed in its work folder
     * @param seconds its wall time
     */
    record Outcome(Path report, List<Path> plots, List<String> experiments, int scored, int reused, double seconds) {

        public Outcome {
            plots = List.copyOf(plots);
            experiments = List.copyOf(experiments);
        }
    }

    /**
     * Runs the evaluation {@code config} describes; with {@code quick}, on at most 16 instances a task and two tasks an
     * experiment (for a smoke run, as CI's).
     *
     * @param progress lines on how far it got
     * @throws IllegalArgumentException when the configuration is not valid (the message says what to fix), or names an
     *     expert or a task that is not there
     */
    Outcome run(Path config, boolean quick, Consumer<String> progress);
}
