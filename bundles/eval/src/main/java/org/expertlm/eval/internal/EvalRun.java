package org.expertlm.eval.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.expertlm.api.Composer;
import org.expertlm.api.Expert;
import org.expertlm.api.ExpertBundle;
import org.expertlm.api.ExpertKind;
import org.expertlm.api.ExpertRegistry;
import org.expertlm.api.Retriever;
import org.expertlm.api.Retriever.Choice;
import org.expertlm.api.Retriever.Granularity;
import org.expertlm.api.Retriever.Settings;
import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TaskInfo;

/**
 * One evaluation run: the experiments over the installed experts, every model's answers read from (or put into) the
 * score store, the figures gathered into a {@link Results} for the report. Retrieval runs live, through the
 * {@link Retriever}; what the chosen experts answer comes from their score tables, which is what lets one run compare
 * many retrieval settings on the same answers.
 */
final class EvalRun {

    private final EvalConfig config;
    private final TaskCatalog catalog;
    private final ExpertRegistry registry;
    private final Retriever retriever;
    private final Composer composer;
    private final ScoreStore store;
    private final Consumer<String> progress;
    private final int tasks;
    private final ContinualRun continual;
    private final Results results = new Results();

    /**
     * @param tasks at most this many tasks an experiment (a quick run's 2)
     * @param continual experiment 3, or null for none
     */
    EvalRun(EvalConfig config, int tasks, TaskCatalog catalog, ExpertRegistry registry, Retriever retriever, Composer composer,
            ScoreStore store, ContinualRun continual, Consumer<String> progress) {
        this.config = config;
        this.continual = continual;
        this.tasks = tasks;
        this.catalog = catalog;
        this.registry = registry;
        this.retriever = retriever;
        this.composer = composer;
        this.store = store;
        this.progress = progress;
    }

    Results run() {
        List<Expert> singles = singles();
        if (singles.isEmpty()) {
            throw new IllegalStateException("no prompt or dataset experts are installed; the evaluation compares them "
                    + "(install the default library: see expert-bundles/README.md)");
        }
        if (continual != null) {
            continual.removeLeftovers();
        }
        results.experts = singles.stream().map(e -> e.descriptor().name()).toList();
        results.baselines = config.baselines().stream().map(b -> registry.active(b).descriptor().name()).toList();
        List<String> unseen = first(config.unseen().isEmpty() ? heldOutTemplates() : config.unseen());
        progress.accept("experiment 1: unseen tasks (" + unseen.size() + " templates, " + singles.size() + " single experts)");
        for (String template : unseen) {
            results.unseen.add(unseen(template, singles));
        }
        progress.accept("experiment 2: seen tasks");
        Map<String, List<TaskExample>> seenExamples = new LinkedHashMap<>();
        Map<String, Results.Seen> seen = new LinkedHashMap<>();
        for (String template : first(seenTemplates())) {
            List<TaskExample> examples = catalog.examples(template, Split.VALIDATION, config.seenInstances());
            if (!examples.isEmpty()) {
                Results.Seen s = seen(template, examples);
                results.seen.add(s);
                seenExamples.put(template, examples);
                seen.put(template, s);
            }
        }
        if (continual != null && !seen.isEmpty()) {
            progress.accept("experiment 3: continual learning (" + continual.tasks().size() + " new tasks)");
            Map<String, List<TaskExample>> newTasks = new LinkedHashMap<>();
            for (String t : continual.tasks()) {
                newTasks.put(t, catalog.examples(t, Split.TEST, config.instances()));
            }
            results.continual = continual.run(seenExamples, seen, newTasks, config.baselines().get(0), new ContinualRun.Scores() {
                @Override
                public ScoreTable table(Expert expert, String template, List<TaskExample> examples) {
                    return EvalRun.this.table(expert, template, split(examples), examples);
                }

                @Override
                public ScoreTable fresh(Expert expert, String template, List<TaskExample> examples) {
                    return store.fresh(expert, template, examples);
                }

                @Override
                public double routed(String template, List<TaskExample> examples, Retriever.Retrieval retrieval) {
                    return perTask(template, examples, retrieval, 1);
                }
            });
        }
        progress.accept("experiment 4: composition (" + config.composed().size() + " composed tasks)");
        for (EvalConfig.Composed c : config.composed()) {
            results.composed.add(composed(c));
        }
        progress.accept("experiment 5: retrieval ablations");
        ablations(unseen);
        return results;
    }

    private Results.Unseen unseen(String template, List<Expert> singles) {
        List<TaskExample> examples = catalog.examples(template, Split.TEST, config.instances());
        List<Retriever.Instance> instances = instances(examples);
        Results.Unseen u = new Results.Unseen(template, examples.size());
        for (String b : results.baselines) {
            u.baselines.put(b, table(b, template, "test", examples).accuracy());
        }
        for (Expert e : singles) {
            u.singles.put(e.descriptor().name(), table(e, template, "test", examples).accuracy());
        }
        Settings paper = Settings.DEFAULT.withQ(Math.min(Settings.DEFAULT.q(), examples.size()));
        Retriever.Retrieval perTask = retriever.retrieve(instances, paper);
        u.chosen = perTask.experts().isEmpty() ? "" : perTask.experts().get(0).name();
        u.arms.put(Results.ROE_TASK, perTask(template, examples, perTask, 1));
        u.arms.put(Results.ROE_INSTANCE, perInstance(template, examples, retriever.retrieve(instances,
                paper.withGranularity(Granularity.INSTANCE))));
        Retriever.Retrieval wide = retriever.retrieve(instances, paper.withK(8));
        u.arms.put(Results.MIXTURE, perTask(template, examples, wide, 3));
        List<String> top = perTask.experts().stream().limit(3).map(Choice::name).toList();
        u.arms.put(Results.MERGE, mergedAccuracy(top, template, examples));
        Figures.Scored oracle = Figures.oracle(u.singles);
        u.oracle = oracle.model();
        u.arms.put(Results.ORACLE, oracle.score());
        progress.accept(String.format("%s: multitask %.3f, RoE %.3f (%s), oracle %.3f (%s)", template,
                u.baselines.get(results.baselines.get(0)), u.arms.get(Results.ROE_TASK), u.chosen, oracle.score(), oracle.model()));
        return u;
    }

    /** The accuracy of the average of {@code top}; NaN, with the reason shown, where they cannot be merged. */
    private double mergedAccuracy(List<String> top, String template, List<TaskExample> examples) {
        if (top.size() < 2 || composer == null) {
            return Double.NaN;
        }
        try {
            return table(composer.compose(Composer.Recipe.of(top, "average"), null).expert(), template, "test", examples).accuracy();
        } catch (IllegalArgumentException cannotMerge) {
            progress.accept(template + ": the top experts were not merged: " + cannotMerge.getMessage());
            return Double.NaN;
        }
    }

    private Results.Seen seen(String template, List<TaskExample> examples) {
        String own = template.replace('/', '.');
        Results.Seen s = new Results.Seen(template, cluster(template), examples.size());
        s.multitask = table(results.baselines.get(0), template, "validation", examples).accuracy();
        s.own = table(own, template, "validation", examples).accuracy();
        Retriever.Retrieval r = retriever.retrieve(instances(examples), Settings.DEFAULT.withQ(Math.min(32, examples.size())));
        s.chosen = r.experts().isEmpty() ? "" : r.experts().get(0).name();
        s.routed = perTask(template, examples, r, 1);
        progress.accept(String.format("%s: multitask %.3f, routed %.3f (%s), own %.3f", template, s.multitask, s.routed, s.chosen,
                s.own));
        return s;
    }

    private Results.Composed composed(EvalConfig.Composed c) {
        List<TaskExample> examples = catalog.examples(c.template(), Split.TEST, config.instances());
        Results.Composed out = new Results.Composed(c.template(), examples.size(),
                Figures.chance(examples.stream().map(e -> e.choices().size()).toList()));
        for (String b : results.baselines) {
            out.put(out.baselines, b, table(b, c.template(), "test", examples).accuracy());
        }
        for (String m : c.members()) {
            out.put(out.members, registry.active(m).descriptor().name(), table(m, c.template(), "test", examples).accuracy());
        }
        for (String method : config.methods()) {
            if (composer == null) {
                throw new IllegalStateException("the composer is not running (bundle org.expertlm.composition); the composed "
                        + "tasks are answered with merges");
            }
            Expert merged = composer.compose(Composer.Recipe.of(c.members(), method), null).expert();
            out.put(out.merges, method + " of " + String.join(" + ", c.members()), table(merged, c.template(), "test", examples)
                    .accuracy());
        }
        return out;
    }

    private void ablations(List<String> unseen) {
        Map<String, List<TaskExample>> examples = new LinkedHashMap<>();
        for (String t : unseen) {
            examples.put(t, catalog.examples(t, Split.TEST, config.instances()));
        }
        Settings paper = Settings.DEFAULT;
        for (Retriever.Mode mode : Retriever.Mode.values()) {
            results.modes.put(mode.name().toLowerCase(java.util.Locale.ROOT), meanPerTask(examples, paper.withMode(mode), 1));
        }
        for (Retriever.Format format : Retriever.Format.values()) {
            results.formats.put(format.key(), meanPerTask(examples, paper.withFormat(format), 1));
        }
        for (int q : config.q()) {
            results.q.put(q, meanPerTask(examples, paper.withQ(q), 1));
        }
        for (int size : config.librarySizes()) {
            results.librarySizes.put(size, meanPerTask(examples, paper.withLibrarySize(size), 1));
        }
        for (int k : config.k()) {
            for (int m : config.mixtures()) {
                results.mixtures.put("k = " + k + ", m = " + m, meanPerTask(examples, paper.withK(k), m));
            }
        }
        List<Double> perInstance = new ArrayList<>();
        for (Map.Entry<String, List<TaskExample>> e : examples.entrySet()) {
            perInstance.add(perInstance(e.getKey(), e.getValue(), retriever.retrieve(instances(e.getValue()),
                    paper.withGranularity(Granularity.INSTANCE))));
        }
        results.granularity.put("task", results.q.getOrDefault(32, meanPerTask(examples, paper, 1)));
        results.granularity.put("instance", Figures.mean(perInstance));
    }

    private double meanPerTask(Map<String, List<TaskExample>> examples, Settings settings, int mixture) {
        List<Double> accuracies = new ArrayList<>();
        for (Map.Entry<String, List<TaskExample>> e : examples.entrySet()) {
            Settings s = settings.withQ(Math.min(settings.q(), e.getValue().size()));
            accuracies.add(perTask(e.getKey(), e.getValue(), retriever.retrieve(instances(e.getValue()), s), mixture));
        }
        double mean = Figures.mean(accuracies);
        progress.accept(String.format(java.util.Locale.ROOT, "ablation %s, %s, Q = %d, k = %d, m = %d, S = %d: %.3f",
                settings.mode().name().toLowerCase(java.util.Locale.ROOT), settings.format().key(), settings.q(), settings.k(), mixture,
                settings.librarySize(), mean));
        return mean;
    }

    /** The accuracy when the task's top {@code mixture} experts answer every instance (their votes the weights). */
    private double perTask(String template, List<TaskExample> examples, Retriever.Retrieval r, int mixture) {
        List<Choice> top = r.experts().stream().limit(mixture).toList();
        if (top.isEmpty()) {
            return Double.NaN; // nothing matched (bm25 without a shared word)
        }
        List<ScoreTable> tables = new ArrayList<>();
        double[] votes = new double[top.size()];
        for (int i = 0; i < top.size(); i++) {
            tables.add(table(top.get(i).name(), template, split(examples), examples));
            votes[i] = Math.max(1, top.get(i).votes());
        }
        return Figures.accuracy(Figures.mixture(tables, votes), tables.get(0).gold());
    }

    /** The accuracy when each instance is answered by the expert its own retrieval ranks first. */
    private double perInstance(String template, List<TaskExample> examples, Retriever.Retrieval r) {
        int[] predicted = new int[examples.size()];
        int[] gold = null;
        for (int i = 0; i < examples.size(); i++) {
            List<Choice> route = r.routes().get(i).isEmpty() ? r.experts() : r.routes().get(i);
            ScoreTable t = table(route.get(0).name(), template, split(examples), examples);
            predicted[i] = t.predicted(i);
            gold = t.gold();
        }
        return Figures.accuracy(predicted, gold);
    }

    private ScoreTable table(String expert, String template, String split, List<TaskExample> examples) {
        return table(Composer.find(registry, composer, expert), template, split, examples);
    }

    private ScoreTable table(Expert expert, String template, String split, List<TaskExample> examples) {
        return store.table(expert, template, split, examples, progress);
    }

    private List<String> first(List<String> templates) {
        return templates.subList(0, Math.min(tasks, templates.size()));
    }

    private static String split(List<TaskExample> examples) {
        return examples.get(0).split() == Split.TEST ? "test" : "validation";
    }

    private static List<Retriever.Instance> instances(List<TaskExample> examples) {
        return examples.stream().map(e -> new Retriever.Instance(e.input(), e.choices())).toList();
    }

    private List<Expert> singles() {
        Map<String, Expert> out = new TreeMap<>();
        for (ExpertBundle b : registry.bundles()) {
            if (b.active() && ExpertBundle.INSTALLED.equals(b.state()) && b.expert() != null
                    && (b.expert().kind() == ExpertKind.PROMPT || b.expert().kind() == ExpertKind.DATASET)
                    && b.expert().answers().choices() != null && !b.expert().answers().generation()) {
                out.put(b.id(), registry.active(b.id()));
            }
        }
        return List.copyOf(out.values());
    }

    private Expert installed(String id) {
        try {
            return registry.active(id);
        } catch (IllegalArgumentException none) {
            return null;
        }
    }

    private List<String> heldOutTemplates() {
        List<String> out = new ArrayList<>();
        for (TaskInfo t : catalog.tasks()) {
            if (t.heldOut() && !"composed".equals(t.cluster())) {
                t.templates().stream().filter(x -> "choices".equals(x.answers())).forEach(x -> out.add(x.id()));
            }
        }
        return out;
    }

    /** The training templates whose own prompt expert is installed: the seen tasks' comparison needs it. */
    private List<String> seenTemplates() {
        List<String> out = new ArrayList<>();
        for (TaskInfo t : catalog.tasks()) {
            if (!t.heldOut()) {
                t.templates().stream().filter(x -> "choices".equals(x.answers()) && installed(x.id().replace('/', '.')) != null)
                        .forEach(x -> out.add(x.id()));
            }
        }
        return out;
    }

    private String cluster(String template) {
        String dataset = template.substring(0, template.indexOf('/'));
        return catalog.tasks().stream().filter(t -> t.dataset().equals(dataset)).map(TaskInfo::cluster).findFirst().orElse("");
    }
}
