package org.expertlm.eval.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report in Markdown: each experiment's table with the paper's headline figure beside it, the plots, and the
 * run's provenance. What the numbers say is written from the numbers, not assumed.
 */
final class Report {

    private Report() {
    }

    /** Provenance lines: what ran, on what, for how long. */
    record Provenance(String commit, String machine, List<String> bases, List<String> seeds, String config, double seconds,
            int scored, int reused, boolean quick) {
    }

    /** The shares of the oracle's gain per arm, of the means over the unseen tasks. */
    static Map<String, Double> shares(Results r) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (r.unseen.isEmpty()) {
            return out;
        }
        double mt = meanBaseline(r, r.baselines.get(0));
        double oracle = meanArm(r, Results.ORACLE);
        for (String arm : List.of(Results.ROE_TASK, Results.ROE_INSTANCE, Results.MIXTURE, Results.MERGE)) {
            out.put(arm, Figures.shareOfGain(meanArm(r, arm), mt, oracle));
        }
        return out;
    }

    static double meanBaseline(Results r, String baseline) {
        return Figures.mean(r.unseen.stream().map(u -> u.baselines.get(baseline)).toList());
    }

    static double meanArm(Results r, String arm) {
        return Figures.mean(r.unseen.stream().map(u -> u.arms.get(arm)).toList());
    }

    static String markdown(Results r, Provenance p, List<String> plots) {
        StringBuilder md = new StringBuilder();
        md.append("# ELM evaluation report").append(p.quick() ? " (quick run, on fixtures)" : "").append("\n\n");
        md.append("Written by `elm:eval` (`./elm eval ").append(p.config()).append("`); every number below comes from this run. ")
                .append("Accuracy is rank classification (the summed log-probability of each choice's tokens, the paper's), on ")
                .append("each task's first instances of its split. The paper's figures (Jang et al., 2023, T0-3B scale) stand beside ")
                .append("ours for direction, not for equality: our base model is a 384-d MiniLM encoder with a small decoder trained ")
                .append("here, and the library ").append(r.experts.size()).append(" experts.\n\n");
        unseen(md, r, plots);
        seen(md, r);
        continual(md, r);
        composed(md, r);
        ablations(md, r, plots);
        md.append("## Provenance\n\n");
        md.append("- commit: ").append(p.commit()).append('\n');
        md.append("- machine: ").append(p.machine()).append('\n');
        md.append("- base models: ").append(String.join(", ", p.bases())).append('\n');
        md.append("- adapter seeds: ").append(String.join(", ", p.seeds())).append('\n');
        md.append("- baselines: ").append(String.join(", ", r.baselines)).append('\n');
        md.append("- experts (").append(r.experts.size()).append("): ").append(String.join(", ", r.experts)).append('\n');
        md.append(String.format(Locale.ROOT, "- wall time: %.0f s; score tables computed %d, reused %d (kept in the run's work "
                + "folder: a re-run computes only what is missing)%n", p.seconds(), p.scored(), p.reused()));
        return md.toString();
    }

    private static void unseen(StringBuilder md, Results r, List<String> plots) {
        md.append("## 1. Unseen tasks\n\n");
        if (r.unseen.isEmpty()) {
            md.append("No unseen task was evaluated.\n\n");
            return;
        }
        String mt = r.baselines.get(0);
        md.append("| task | n |");
        r.baselines.forEach(b -> md.append(' ').append(b).append(" |"));
        md.append(" single experts above ").append(mt).append(" | ").append(Results.ROE_TASK).append(" (chosen) | ")
                .append(Results.ROE_INSTANCE).append(" | ").append(Results.MIXTURE).append(" | ").append(Results.MERGE)
                .append(" | oracle (expert) |\n|---|---|");
        r.baselines.forEach(b -> md.append("---|"));
        md.append("---|---|---|---|---|---|\n");
        for (Results.Unseen u : r.unseen) {
            md.append("| ").append(u.template).append(" | ").append(u.instances).append(" |");
            u.baselines.values().forEach(v -> md.append(' ').append(f(v)).append(" |"));
            md.append(' ').append(Figures.above(u.singles, u.baselines.get(mt))).append(" of ").append(u.singles.size())
                    .append(" | ").append(f(u.arms.get(Results.ROE_TASK))).append(" (").append(u.chosen).append(") | ")
                    .append(f(u.arms.get(Results.ROE_INSTANCE))).append(" | ").append(f(u.arms.get(Results.MIXTURE))).append(" | ")
                    .append(f(u.arms.get(Results.MERGE))).append(" | ").append(f(u.arms.get(Results.ORACLE))).append(" (")
                    .append(u.oracle).append(") |\n");
        }
        md.append("| **mean** | |");
        r.baselines.forEach(b -> md.append(" **").append(f(meanBaseline(r, b))).append("** |"));
        md.append(" | **").append(f(meanArm(r, Results.ROE_TASK))).append("** | **").append(f(meanArm(r, Results.ROE_INSTANCE)))
                .append("** | **").append(f(meanArm(r, Results.MIXTURE))).append("** | **").append(f(meanArm(r, Results.MERGE)))
                .append("** | **").append(f(meanArm(r, Results.ORACLE))).append("** |\n\n");
        Map<String, Double> shares = shares(r);
        md.append("Share of the oracle's gain over ").append(mt).append(" (of the means): ");
        List<String> parts = new ArrayList<>();
        shares.forEach((arm, s) -> parts.add(arm + " " + pct(s)));
        md.append(String.join(", ", parts)).append(". The paper: RoE 53.48 against T0-3B's 51.43 with the oracle expert at ")
                .append("+11.94, about 17% of the oracle's gain; 7 of its 296 prompt experts beat T0-3B on the mean over 11 unseen ")
                .append("datasets, the best by +3.20.\n\n");
        double roe = meanArm(r, Results.ROE_TASK);
        double base = meanBaseline(r, mt);
        md.append(roe > base ? "Here RoE per task beats the multitask baseline on the mean (" : "Here RoE per task does not beat the "
                + "multitask baseline on the mean (").append(f(roe)).append(" against ").append(f(base)).append("), while the oracle ")
                .append("reaches ").append(f(meanArm(r, Results.ORACLE))).append(".");
        if (!(roe > base)) {
            md.append(" What we think limits it at this scale: experts that sit near chance on these tasks (the base model is a ")
                    .append("384-d MiniLM encoder with a small decoder trained here), and a library of a few dozen experts over a ")
                    .append("dozen datasets (the paper's: 296 experts over 36 datasets), so that few share a held-out task's skill.");
        }
        md.append("\n\n");
        plots.stream().filter(p -> p.contains("singles")).forEach(p -> md.append("![single experts against the baseline](")
                .append(p).append(")\n\n"));
        plots.stream().filter(p -> p.contains("share")).forEach(p -> md.append("![share of the oracle's gain](").append(p)
                .append(")\n\n"));
    }

    private static void seen(StringBuilder md, Results r) {
        md.append("## 2. Seen tasks (negative transfer)\n\n");
        if (r.seen.isEmpty()) {
            md.append("No training template with its own prompt expert was evaluated.\n\n");
            return;
        }
        md.append("| template | cluster | n | ").append(r.baselines.get(0)).append(" | RoE-routed (chosen) | own prompt expert |\n")
                .append("|---|---|---|---|---|---|\n");
        Map<String, List<Results.Seen>> byCluster = new TreeMap<>();
        for (Results.Seen s : r.seen) {
            md.append("| ").append(s.template).append(" | ").append(s.cluster).append(" | ").append(s.instances).append(" | ")
                    .append(f(s.multitask)).append(" | ").append(f(s.routed)).append(" (").append(s.chosen).append(") | ")
                    .append(f(s.own)).append(" |\n");
            byCluster.computeIfAbsent(s.cluster, c -> new ArrayList<>()).add(s);
        }
        md.append("\n| cluster | templates | ").append(r.baselines.get(0)).append(" | RoE-routed | own prompt expert |\n")
                .append("|---|---|---|---|---|\n");
        byCluster.forEach((c, list) -> md.append("| ").append(c).append(" | ").append(list.size()).append(" | ")
                .append(f(Figures.mean(list.stream().map(s -> s.multitask).toList()))).append(" | ")
                .append(f(Figures.mean(list.stream().map(s -> s.routed).toList()))).append(" | ")
                .append(f(Figures.mean(list.stream().map(s -> s.own).toList()))).append(" |\n"));
        double mt = Figures.mean(r.seen.stream().map(s -> s.multitask).toList());
        double routed = Figures.mean(r.seen.stream().map(s -> s.routed).toList());
        md.append(String.format(Locale.ROOT, "%nMean: %s %s, RoE-routed %s (%s%s). The paper: routing to experts beats T0-3B by "
                + "+10.4 mean accuracy on its 36 seen datasets.%n%n", r.baselines.get(0), f(mt), f(routed), routed >= mt ? "+" : "",
                f(routed - mt)));
    }

    private static void continual(StringBuilder md, Results r) {
        md.append("## 3. Continual learning\n\n");
        Results.Continual c = r.continual;
        if (c == null) {
            md.append("Not run: the configuration names no continual-learning library (\"continual\").\n\n");
            return;
        }
        md.append("New tasks, withheld from the multitask baseline and from the library: ").append(String.join(", ", c.tasks))
                .append(". Each got a prompt expert of its own, added to the running library; the multitask baseline was ")
                .append("fine-tuned on them one after another instead (the same training settings, its adapters starting ")
                .append("from the model before). Seen tasks: the ").append(c.seenTemplates).append(" templates of experiment 2, ")
                .append("their mean accuracy.\n\n| model | seen tasks |");
        c.tasks.forEach(t -> md.append(' ').append(t).append(" |"));
        md.append("\n|---|---|");
        c.tasks.forEach(t -> md.append("---|"));
        md.append('\n');
        c.rows.forEach((model, row) -> {
            md.append("| ").append(model).append(" | ").append(f(row.get(Results.Continual.SEEN))).append(" |");
            c.tasks.forEach(t -> md.append(' ').append(f(row.get(t))).append(" |"));
            md.append('\n');
        });
        Map<String, Double> mtBefore = c.rows.values().iterator().next();
        List<Map<String, Double>> steps = c.rows.entrySet().stream().filter(e -> e.getKey().contains(" (after "))
                .map(Map.Entry::getValue).toList();
        md.append(String.format(Locale.ROOT, "%nThe library's own experts, scored again after the new experts came: the same "
                + "answers on %d of %d seen templates (largest score difference %.1e). ", c.identical, c.seenTemplates,
                c.largestDifference));
        if (!steps.isEmpty()) {
            double forgetting = mtBefore.get(Results.Continual.SEEN) - steps.get(steps.size() - 1).get(Results.Continual.SEEN);
            md.append(String.format(Locale.ROOT, "The sequentially fine-tuned baseline's seen-task mean went from %s to %s "
                    + "(forgetting %s%s). ", f(mtBefore.get(Results.Continual.SEEN)), f(steps.get(steps.size() - 1)
                    .get(Results.Continual.SEEN)), forgetting >= 0 ? "" : "−", f(Math.abs(forgetting))));
            String first = c.tasks.get(0);
            if (steps.size() > 1) {
                md.append(String.format(Locale.ROOT, "On the first new task (%s) it reached %s right after learning it and %s "
                        + "after the last. ", first, f(steps.get(0).get(first)), f(steps.get(steps.size() - 1).get(first))));
            }
        }
        Map<String, Double> before = c.rows.get(Results.Continual.LIBRARY_BEFORE);
        Map<String, Double> after = c.rows.get(Results.Continual.LIBRARY_AFTER);
        if (before != null && after != null) {
            md.append(String.format(Locale.ROOT, "Routed by RoE, the seen tasks' mean went from %s to %s", f(before.get(
                    Results.Continual.SEEN)), f(after.get(Results.Continual.SEEN))));
            md.append(c.rerouted.isEmpty() ? " (every seen template chose the expert it chose before)"
                    : " (" + c.rerouted.size() + " seen templates chose another expert: " + String.join("; ", c.rerouted.entrySet()
                            .stream().map(e -> e.getKey() + " " + e.getValue()).toList()) + ")");
            md.append(". On the new tasks RoE chose ").append(String.join(", ", c.chosen.entrySet().stream()
                    .map(e -> e.getValue() + " for " + e.getKey()).toList())).append(".");
        }
        md.append(" The paper: adding 8 new experts left the seen tasks with \"absolutely no degradation\".\n\n");
    }

    private static void composed(StringBuilder md, Results r) {
        md.append("## 4. Composition\n\n");
        if (r.composed.isEmpty()) {
            md.append("No composed task was evaluated.\n\n");
            return;
        }
        md.append("| composed task | n | model | accuracy |\n|---|---|---|---|\n");
        for (Results.Composed c : r.composed) {
            c.scores.forEach((model, a) -> md.append("| ").append(c.template).append(" | ").append(c.instances).append(" | ")
                    .append(model).append(" | ").append(f(a)).append(" |\n"));
        }
        md.append('\n');
        int beatMembers = 0;
        int beatBaselines = 0;
        double farthest = 0;
        for (Results.Composed c : r.composed) {
            double merge = Figures.best(c.merges.values());
            double member = Figures.best(c.members.values());
            double baseline = Figures.best(c.baselines.values());
            beatMembers += merge > member ? 1 : 0;
            beatBaselines += merge > baseline ? 1 : 0;
            for (double a : c.scores.values()) {
                farthest = Math.max(farthest, Math.abs(a - c.chance));
            }
            md.append("- ").append(c.template).append(": the best merge ").append(f(merge)).append(", the best member alone ")
                    .append(f(member)).append(", the best baseline ").append(f(baseline)).append("; answering at random ")
                    .append(f(c.chance)).append(".\n");
        }
        int n = r.composed.size();
        md.append("\nThe best merge beats its best member on ").append(beatMembers).append(" of ").append(n)
                .append(" composed tasks and the best baseline on ").append(beatBaselines).append(" of ").append(n).append('.');
        if (farthest < 0.1) {
            md.append(" Every arm stays within ").append(f(farthest)).append(" of random answering, so these differences are "
                    + "noise of a few instances: here merging does not compose the two skills, and neither does the multitask "
                    + "model given the composed instruction. What we think limits it: each member is itself near chance on an "
                    + "instruction it never saw (experiment 1's experts are too), the base model is small, and the composed "
                    + "instructions ask for a skill and an answer format at once from adapters trained on one each.");
        }
        md.append(" The paper: merging a summariser and a translator gives +2.71 ROUGE-L over mT0-3B on its 5 composed "
                + "tasks (generation); the composed tasks here are classification (accuracy).\n\n");
    }

    private static void ablations(StringBuilder md, Results r, List<String> plots) {
        md.append("## 5. Retrieval ablations (mean accuracy over the unseen tasks)\n\n");
        table(md, "mode (label_instance, Q = 32, k = 1)", r.modes);
        table(md, "text format (dense)", r.formats);
        Map<String, Double> q = new LinkedHashMap<>();
        r.q.forEach((k, v) -> q.put("Q = " + k, v));
        table(md, "voting instances", q);
        table(md, "granularity", r.granularity);
        Map<String, Double> sizes = new LinkedHashMap<>();
        r.librarySizes.forEach((k, v) -> sizes.put("S = " + k, v));
        table(md, "library instances searched per expert", sizes);
        table(md, "mixture (k library instances a query, m experts)", r.mixtures);
        md.append("The paper: dense retrieval beats BM25; its default label_instance format is best; accuracy grows with Q up "
                + "to 32; its library holds S = 100 instances an expert.\n\n");
        plots.stream().filter(p -> p.contains("-q")).forEach(p -> md.append("![accuracy against Q](").append(p).append(")\n\n"));
    }

    private static void table(StringBuilder md, String what, Map<String, Double> values) {
        md.append("| ").append(what).append(" | accuracy |\n|---|---|\n");
        values.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(f(v)).append(" |\n"));
        md.append('\n');
    }

    static String f(Double v) {
        return v == null || v.isNaN() ? "—" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "— (the oracle does not beat the baseline)" : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }
}
