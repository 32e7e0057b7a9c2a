package org.expertlm.eval.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.expertlm.api.Expert;
import org.expertlm.api.ExpertBundle;
import org.expertlm.api.ExpertFormat;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.LibraryTrainer;
import org.expertlm.api.Retriever;
import org.expertlm.api.TaskExample;

/**
 * Experiment 3, continual learning: a library configuration names new tasks' prompt experts (entries that start
 * fresh) and the multitask baseline fine-tuned on those tasks one after another (entries whose adapters start
 * {@code from} the one before). Its jobs train into the evaluation's work folder (a finished job is not done
 * again); the new experts are then deployed into the running library, the seen tasks measured again, and the new
 * experts taken out of the deploy folder at the end, so that the other experiments of a later run see the library
 * they were measured with (one left behind by an interrupted run is taken out before anything is measured:
 * {@link #removeLeftovers}). The fine-tuned baselines are scored from their jars and never deployed: they are
 * the alternative to the library, not part of it.
 */
final class ContinualRun {

    /** How an experiment's models are scored: their score tables, through the store. */
    interface Scores {
        /** The table of {@code expert} on {@code examples} of {@code template}, through the store. */
        ScoreTable table(Expert expert, String template, List<TaskExample> examples);

        /** The table of {@code expert} computed now, nothing read or kept (the check that it still answers the same). */
        ScoreTable fresh(Expert expert, String template, List<TaskExample> examples);

        /** The accuracy when the retrieval's first expert answers every instance. */
        double routed(String template, List<TaskExample> examples, Retriever.Retrieval retrieval);
    }

    private static final long WAIT_MILLIS = 120_000;
    /** A re-scored table this close to the first one counts as the same answers (float rounding of one computation). */
    private static final double SAME = 1e-6;

    private final LibraryTrainer trainer;
    private final ExpertRegistry registry;
    private final Retriever retriever;
    private final Path deploy;
    private final Path out;
    private final ExpertFormat format;
    private final LibraryTrainer.Plan plan;
    private final Consumer<String> progress;

    ContinualRun(Path library, Path out, LibraryTrainer trainer, ExpertRegistry registry, Retriever retriever, Path deploy,
            ExpertFormat format, Consumer<String> progress) {
        this.trainer = trainer;
        this.format = format;
        this.registry = registry;
        this.retriever = retriever;
        this.deploy = deploy;
        this.out = out;
        this.progress = progress;
        try {
            this.plan = trainer.plan(library, out);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the continual-learning library " + library + " failed", e);
        }
        if (newExperts().isEmpty()) {
            throw new IllegalArgumentException(library + " names no new expert (an entry without \"from\"); experiment 3 adds "
                    + "new tasks' experts to the library");
        }
    }

    /** The jobs that make new tasks' experts: those that start fresh. */
    private List<LibraryTrainer.Job> newExperts() {
        return plan.jobs().stream().filter(j -> j.from() == null).toList();
    }

    /** The jobs that train a model further, in the configuration's order: the sequentially fine-tuned baseline. */
    private List<LibraryTrainer.Job> chain() {
        return plan.jobs().stream().filter(j -> j.from() != null).toList();
    }

    /** The new tasks: the templates of the new experts. */
    List<String> tasks() {
        return newExperts().stream().map(LibraryTrainer.Job::task).toList();
    }

    /** Takes out of the deploy folder every expert of this configuration that an interrupted run left there. */
    void removeLeftovers() {
        for (LibraryTrainer.Job job : newExperts()) {
            if (Files.exists(deploy.resolve(job.jarName()))) {
                progress.accept("experiment 3: " + job.name() + " was left in the library by an interrupted run; taking it out");
                remove(job);
            }
        }
    }

    /**
     * Trains what is not trained yet, then measures.
     *
     * @param seen the seen tasks' instances, by template, as experiment 2 measured them
     * @param before experiment 2's figures on them, by template
     * @param newTasks the new tasks' test instances, by template
     */
    Results.Continual run(Map<String, List<TaskExample>> seen, Map<String, Results.Seen> before,
            Map<String, List<TaskExample>> newTasks, String baseline, Scores scores) {
        for (LibraryTrainer.Job job : plan.jobs()) {
            LibraryTrainer.Outcome done;
            try {
                done = trainer.run(job, out, line -> progress.accept("experiment 3: " + line));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("the evaluation was interrupted while " + job.name() + " trained; run it again to "
                        + "resume from its checkpoint");
            }
            if (done.state() == LibraryTrainer.Outcome.State.FAILED || done.state() == LibraryTrainer.Outcome.State.CANCELLED) {
                throw new IllegalStateException("experiment 3: " + job.name() + " was not made: " + done.message());
            }
            progress.accept("experiment 3: " + job.name() + ": " + done.message());
        }
        Results.Continual c = new Results.Continual(tasks(), seen.size());
        Expert multitask = registry.active(baseline);
        c.rows.put(multitask.descriptor().name() + " (before)", row(multitask, seen, newTasks, scores));
        Map<String, Double> libraryBefore = new LinkedHashMap<>();
        libraryBefore.put(Results.Continual.SEEN, mean(before.values().stream().map(s -> s.routed).toList()));
        for (Map.Entry<String, List<TaskExample>> t : newTasks.entrySet()) {
            libraryBefore.put(t.getKey(), scores.routed(t.getKey(), t.getValue(), retrieve(t.getValue())));
        }
        for (LibraryTrainer.Job job : chain()) {
            Expert step = JarModel.read(out.resolve(job.jarName()), format);
            c.rows.put(step.descriptor().name() + " (after " + job.task() + ")", row(step, seen, newTasks, scores));
        }
        c.rows.put(Results.Continual.LIBRARY_BEFORE, libraryBefore);
        List<LibraryTrainer.Job> deployed = new ArrayList<>();
        try {
            int instancesBefore = libraryInstances(seen.values().iterator().next());
            int added = 0;
            for (LibraryTrainer.Job job : newExperts()) {
                deploy(job);
                deployed.add(job);
                added += registry.expert(job.expertId(), job.version()).library().instances().size();
            }
            awaitIndexed(seen.values().iterator().next(), instancesBefore + added);
            Map<String, Double> own = new LinkedHashMap<>();
            List<Double> ownSeen = new ArrayList<>();
            Map<String, Double> libraryAfter = new LinkedHashMap<>();
            List<Double> routedSeen = new ArrayList<>();
            for (Map.Entry<String, List<TaskExample>> t : seen.entrySet()) {
                Results.Seen was = before.get(t.getKey());
                if (was == null) {
                    continue;
                }
                Expert expert = registry.active(t.getKey().replace('/', '.'));
                ScoreTable first = scores.table(expert, t.getKey(), t.getValue());
                ScoreTable again = scores.fresh(expert, t.getKey(), t.getValue());
                double difference = first.largestDifference(again);
                c.largestDifference = Math.max(c.largestDifference, difference);
                c.identical += difference <= SAME ? 1 : 0;
                ownSeen.add(again.accuracy());
                Retriever.Retrieval r = retrieve(t.getValue());
                routedSeen.add(scores.routed(t.getKey(), t.getValue(), r));
                String chosen = r.experts().isEmpty() ? "" : r.experts().get(0).name();
                if (!chosen.equals(was.chosen)) {
                    c.rerouted.put(t.getKey(), was.chosen + " → " + chosen);
                }
            }
            own.put(Results.Continual.SEEN, mean(ownSeen));
            libraryAfter.put(Results.Continual.SEEN, mean(routedSeen));
            for (LibraryTrainer.Job job : newExperts()) {
                List<TaskExample> examples = newTasks.get(job.task());
                own.put(job.task(), scores.table(registry.expert(job.expertId(), job.version()), job.task(), examples).accuracy());
                Retriever.Retrieval r = retrieve(examples);
                libraryAfter.put(job.task(), scores.routed(job.task(), examples, r));
                c.chosen.put(job.task(), r.experts().isEmpty() ? "" : r.experts().get(0).name());
            }
            c.rows.put(Results.Continual.LIBRARY_AFTER, libraryAfter);
            c.rows.put(Results.Continual.OWN, own);
            progress.accept(String.format("experiment 3: own experts re-scored identical on %d of %d seen templates; routed %.3f → %.3f",
                    c.identical, seen.size(), libraryBefore.get(Results.Continual.SEEN), libraryAfter.get(Results.Continual.SEEN)));
        } finally {
            for (LibraryTrainer.Job job : deployed) {
                remove(job);
            }
        }
        return c;
    }

    private Map<String, Double> row(Expert model, Map<String, List<TaskExample>> seen, Map<String, List<TaskExample>> newTasks,
            Scores scores) {
        Map<String, Double> row = new LinkedHashMap<>();
        List<Double> seenScores = new ArrayList<>();
        for (Map.Entry<String, List<TaskExample>> t : seen.entrySet()) {
            seenScores.add(scores.table(model, t.getKey(), t.getValue()).accuracy());
        }
        row.put(Results.Continual.SEEN, mean(seenScores));
        for (Map.Entry<String, List<TaskExample>> t : newTasks.entrySet()) {
            row.put(t.getKey(), scores.table(model, t.getKey(), t.getValue()).accuracy());
        }
        return row;
    }

    private Retriever.Retrieval retrieve(List<TaskExample> examples) {
        return retriever.retrieve(instances(examples), Retriever.Settings.DEFAULT.withQ(Math.min(Retriever.Settings.DEFAULT.q(),
                examples.size())));
    }

    private int libraryInstances(List<TaskExample> probe) {
        return retriever.retrieve(instances(probe.subList(0, 1)), Retriever.Settings.DEFAULT.withQ(1)).libraryInstances();
    }

    /** Waits until the retriever searches {@code expected} library instances: the new experts are indexed. */
    private void awaitIndexed(List<TaskExample> probe, int expected) {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        int now;
        while ((now = libraryInstances(probe)) != expected) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("experiment 3: the retriever searches " + now + " library instances, not the "
                        + expected + " the library holds with the new experts, " + WAIT_MILLIS / 1000 + " s after they were "
                        + "installed; see elm:status and the log");
            }
            pause();
        }
    }

    private void deploy(LibraryTrainer.Job job) {
        try {
            registry.upgrade(job.expertId(), out.resolve(job.jarName()));
        } catch (IOException e) {
            throw new UncheckedIOException("deploying " + job.name() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the evaluation was interrupted while " + job.name() + " was deployed");
        }
        progress.accept("experiment 3: " + job.name() + " deployed");
    }

    /** Deletes the job's jar from the deploy folder and waits until the registry no longer holds it. */
    private void remove(LibraryTrainer.Job job) {
        try {
            Files.deleteIfExists(deploy.resolve(job.jarName()));
        } catch (IOException e) {
            throw new UncheckedIOException("taking " + job.name() + " out of " + deploy + " failed; delete it there by hand", e);
        }
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (registry.bundles().stream().anyMatch(b -> b.id().equals(job.expertId()) && ExpertBundle.INSTALLED.equals(b.state()))) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("experiment 3: " + job.name() + " is still installed " + WAIT_MILLIS / 1000
                        + " s after its jar left " + deploy + "; see elm:list and the log");
            }
            pause();
        }
        progress.accept("experiment 3: " + job.name() + " taken out of the library");
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the evaluation was interrupted while it waited for the library");
        }
    }

    private static List<Retriever.Instance> instances(List<TaskExample> examples) {
        return examples.stream().map(e -> new Retriever.Instance(e.input(), e.choices())).toList();
    }

    private static double mean(List<Double> values) {
        return Figures.mean(values);
    }
}
