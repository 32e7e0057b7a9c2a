package org.expertlm.console.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Formatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.ContainerProperties;
import org.expertlm.api.LibraryTrainer;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code elm:library}: the jobs of a library configuration, planned ({@code plan}: each job's identity and
 * whether its jar is made) or run one after another ({@code train}), with their progress on standard error
 * and a table of what each did at the end.
 */
@Component(service = LibraryCommands.class, property = {"osgi.command.scope=elm", "osgi.command.function=library"})
public final class LibraryCommands {

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile LibraryTrainer library;

    private final BundleContext context;

    @Activate
    public LibraryCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("an expert library's jobs (configs/library/default.json lists the default library's): 'plan' shows each "
            + "job's identity and whether its jar is made; 'train' makes the jars that are not, one job after another "
            + "(a jar of the same identity is skipped, an interrupted job resumes from its checkpoint), progress on "
            + "standard error")
    public Object library(
            @Descriptor("the folder the jars go to (default: the configuration's \"out\")") @Parameter(names = "--out",
                    absentValue = "") String out,
            @Descriptor("print exactly one JSON document instead of text")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("plan or train") String action,
            @Descriptor("the library configuration, e.g. configs/library/default.json (relative to the ELM home)") String config)
            throws IOException, InterruptedException {
        LibraryTrainer trainer = library;
        if (trainer == null) {
            throw new IllegalStateException("the library trainer is not running; the bundles org.expertlm.registry and "
                    + "org.expertlm.engine must be active (see elm:status)");
        }
        if (!action.equals("plan") && !action.equals("train")) {
            throw new IllegalArgumentException("elm:library " + action + ": expected 'plan' or 'train', e.g. "
                    + "elm:library train configs/library/default.json");
        }
        String homeProperty = context.getProperty(ContainerProperties.HOME);
        Path home = Path.of(homeProperty == null ? "." : homeProperty);
        LibraryTrainer.Plan plan = trainer.plan(home.resolve(config), out.isEmpty() ? null : home.resolve(out));
        List<LibraryTrainer.Outcome> outcomes = new ArrayList<>();
        long start = System.nanoTime();
        PrintStream err = System.err;
        for (int i = 0; i < plan.jobs().size(); i++) {
            LibraryTrainer.Job job = plan.jobs().get(i);
            LibraryTrainer.Outcome outcome = action.equals("plan") ? trainer.status(job, plan.out())
                    : run(trainer, job, plan.out(), String.format("[%d/%d] ", i + 1, plan.jobs().size()), err);
            outcomes.add(outcome);
            if (action.equals("train")) {
                println(err, String.format("[%d/%d] %s %s: %s (%.0f s so far)", i + 1, plan.jobs().size(), job.name(),
                        outcome.state().name().toLowerCase(), outcome.message(), (System.nanoTime() - start) / 1e9));
            }
            if (outcome.state() == LibraryTrainer.Outcome.State.CANCELLED) {
                break; // the trainer is stopping: the jobs after this one would be cancelled too
            }
        }
        LibraryReport report = new LibraryReport(plan.source(), plan.out().toString(), outcomes, (System.nanoTime() - start) / 1e9);
        Object shown = json ? Json.write(report) : report.text();
        long unfinished = outcomes.stream().filter(o -> o.state() == LibraryTrainer.Outcome.State.FAILED
                || o.state() == LibraryTrainer.Outcome.State.CANCELLED).count();
        if (action.equals("train") && (unfinished > 0 || outcomes.size() < plan.jobs().size())) {
            // The report still goes to standard output, and the command fails, so that a script sees it.
            System.out.println(shown);
            System.out.flush();
            throw new IllegalStateException(String.format("elm:library train: %d of %d jobs did not end with their jar "
                    + "(failed or cancelled: see the report); run the same command again to go on", unfinished
                    + plan.jobs().size() - outcomes.size(), plan.jobs().size()));
        }
        return shown;
    }

    /**
     * Runs one job on a thread of its own and prints its progress lines from this one: the shell's standard
     * streams belong to the command's thread. An interrupt of this thread cancels the job, which keeps its checkpoint.
     */
    private static LibraryTrainer.Outcome run(LibraryTrainer trainer, LibraryTrainer.Job job, Path out, String prefix,
            PrintStream err) throws InterruptedException {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "elm-library " + job.name()));
        try {
            Future<LibraryTrainer.Outcome> outcome = worker.submit(() -> trainer.run(job, out, lines::add));
            try {
                while (!outcome.isDone()) {
                    String line = lines.poll(200, TimeUnit.MILLISECONDS);
                    if (line != null) {
                        println(err, prefix + line);
                    }
                }
                drain(lines, err, prefix);
                return outcome.get();
            } catch (InterruptedException e) {
                outcome.cancel(true);
                worker.shutdown();
                while (!worker.awaitTermination(200, TimeUnit.MILLISECONDS)) {
                    drain(lines, err, prefix);
                }
                drain(lines, err, prefix);
                throw new InterruptedException("the library's training was interrupted at " + job.name()
                        + ", which is cancelled with its checkpoint kept: run the same command again to go on");
            } catch (ExecutionException e) {
                throw new IllegalStateException(job.name() + ": " + e.getCause().getMessage(), e.getCause());
            }
        } finally {
            worker.shutdownNow();
        }
    }

    private static void drain(BlockingQueue<String> lines, PrintStream err, String prefix) {
        for (String line; (line = lines.poll()) != null;) {
            println(err, prefix + line);
        }
    }

    private static void println(PrintStream stream, String line) {
        stream.println(line);
        stream.flush();
    }

    /**
     * What {@code elm:library} returns.
     *
     * @param config the configuration
     * @param out the jars' folder
     * @param jobs what each job did (or, planned, whether it is done)
     * @param seconds the command's wall time
     */
    record LibraryReport(String config, String out, List<LibraryTrainer.Outcome> jobs, double seconds) {

        /** How many jobs ended in each state. */
        public Map<String, Long> counts() {
            Map<String, Long> counts = new TreeMap<>();
            jobs.forEach(o -> counts.merge(o.state().name().toLowerCase(), 1L, Long::sum));
            return counts;
        }

        /** The training time the jars' provenance records, summed. */
        public double trainingSeconds() {
            return jobs.stream().mapToDouble(LibraryTrainer.Outcome::trainingSeconds).filter(s -> !Double.isNaN(s)).sum();
        }

        String text() {
            StringBuilder text = new StringBuilder();
            Formatter f = new Formatter(text);
            f.format("Library %s -> %s: %s%n", config, out, counts());
            f.format("%-44s %-9s %-8s %-8s %8s %9s  %s%n", "EXPERT", "STATE", "METRIC", "SCORE", "TRAIN S", "JAR KB",
                    "IDENTITY");
            for (LibraryTrainer.Outcome o : jobs) {
                f.format("%-44s %-9s %-8s %-8s %8s %9s  %s%n", o.job().name(), o.state().name().toLowerCase(),
                        o.metric() == null ? "" : o.metric(), Double.isNaN(o.validationScore()) ? ""
                                : String.format("%.4f", o.validationScore()),
                        Double.isNaN(o.trainingSeconds()) ? "" : String.format("%.0f", o.trainingSeconds()),
                        o.jar() == null ? "" : String.format("%.0f", o.bytes() / 1024.0), o.job().identity().substring(0, 12));
            }
            f.format("training time recorded in the jars: %.1f min; this command: %.1f min", trainingSeconds() / 60,
                    seconds / 60);
            // Why a job failed, or why one is still to do (not made, or its jar is from other inputs).
            jobs.stream().filter(o -> o.state() == LibraryTrainer.Outcome.State.FAILED
                    || o.state() == LibraryTrainer.Outcome.State.PENDING)
                    .forEach(o -> f.format("%n  %s: %s", o.job().name(), o.message()));
            return text.toString();
        }
    }
}
