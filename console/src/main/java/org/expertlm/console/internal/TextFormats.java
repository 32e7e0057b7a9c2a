package org.expertlm.console.internal;

import java.util.Formatter;
import java.util.Map;

import org.apache.felix.service.command.Converter;
import org.expertlm.api.BaseModelInfo;
import org.expertlm.api.BaseModelRef;
import org.expertlm.api.DeploymentProblem;
import org.expertlm.api.EngineStatus;
import org.expertlm.api.Evaluation;
import org.expertlm.api.LoadedModelInfo;
import org.expertlm.api.ProbeReport;
import org.expertlm.api.TrainingReport;
import org.expertlm.api.VocabularyCoverage;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TaskInfo;
import org.osgi.service.component.annotations.Component;

/**
 * Renders the console's DTOs as text for people; {@code --json} gives the same DTOs to scripts.
 * Registered as a Gogo {@link Converter}, so the shell uses it whenever it prints one of them.
 */
@Component(property = "osgi.converter.classes=org.expertlm.console.internal.StatusReport,"
        + "org.expertlm.console.internal.TasksReport,org.expertlm.console.internal.ExamplesReport,"
        + "org.expertlm.console.internal.EmbedReport,org.expertlm.console.internal.ScoreReport,"
        + "org.expertlm.console.internal.GenerationReport,org.expertlm.console.internal.ModelsReport,"
        + "org.expertlm.console.internal.JobsReport,org.expertlm.console.internal.CoverageReport,org.expertlm.api.EngineStatus,org.expertlm.api.TrainingReport,"
        + "org.expertlm.api.BaseModelInfo,org.expertlm.api.Evaluation,org.expertlm.api.ProbeReport")
public final class TextFormats implements Converter {

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof StatusReport report) {
            return level == Converter.INSPECT ? status(report) : summary(report);
        }
        if (target instanceof TasksReport report) {
            return tasks(report);
        }
        if (target instanceof ExamplesReport report) {
            return examples(report);
        }
        if (target instanceof EmbedReport report) {
            return embedding(report);
        }
        if (target instanceof ScoreReport report) {
            return scores(report);
        }
        if (target instanceof EngineStatus status) {
            return engine(status);
        }
        if (target instanceof GenerationReport r) {
            return r.output();
        }
        if (target instanceof ModelsReport r) {
            return models(r);
        }
        if (target instanceof JobsReport r) {
            return r.jobs().isEmpty() ? "no training jobs yet" : String.join("\n",
                    r.jobs().stream().map(j -> String.format("%-10s %s", j.state(), j.what())).toList());
        }
        if (target instanceof CoverageReport r) {
            StringBuilder text = new StringBuilder();
            Formatter f = new Formatter(text);
            f.format("%-44s %9s %11s  %s%n", "TEMPLATE", "COVERAGE", "WHOLE", "MOST FREQUENT MISSING PIECES");
            for (VocabularyCoverage c : r.templates()) {
                f.format("%-44s %8.1f%% %10.1f%%  %s%s%n", c.task(), 100 * c.coverage(), 100 * c.expressible(),
                        String.join(" ", c.missing()), c.sufficient() ? "" : "  (below " + Math.round(100 * r.minimum())
                        + "%: no expert)");
            }
            return text.toString().stripTrailing();
        }
        if (target instanceof TrainingReport r) {
            return String.format("expert %s written: validation %s %.4f on %d examples (epoch %d, %d steps, %.0f s)",
                    r.expert().name(), r.metric(), r.validationScore(), r.validationExamples(), r.bestEpoch(), r.steps(),
                    r.seconds());
        }
        if (target instanceof BaseModelInfo r) {
            return String.format("base model %s written: held-out loss %.3f, train loss %.3f, %d steps (%.0f s)",
                    r.base().id(), r.heldOutLoss(), r.trainLoss(), r.steps(), r.seconds());
        }
        if (target instanceof Evaluation r) {
            return String.format("%s on %s (%s, %d examples): accuracy %.4f, scored at %.1f examples/s", r.model(), r.task(),
                    r.split(), r.examples(), r.accuracy(), r.examplesPerSecond());
        }
        if (target instanceof ProbeReport r) {
            return String.format("%s: logistic-regression probe on sentence vectors, %d training examples, %d classes: "
                    + "validation accuracy %.4f (%d examples; embedding %.0f s, fitting %.0f s)", r.task(), r.trainExamples(),
                    r.classes(), r.accuracy(), r.validationExamples(), r.embedSeconds(), r.fitSeconds());
        }
        return null;
    }

    static String summary(StatusReport r) {
        return "ELM container " + r.framework().state() + ", " + r.bundles().size() + " bundles, "
                + r.problems().size() + " problems";
    }

    static String status(StatusReport r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        StatusReport.Framework fw = r.framework();
        f.format("Framework   %s %s, %s, start level %d%n", fw.vendor(), fw.version(), fw.state(), fw.startLevel());
        f.format("Work folder %s%n", fw.workFolder());
        f.format("Storage     %s%n", fw.storage());
        f.format("Configs     %s%n", fw.configsFolder());
        f.format("Deploy      %s%n", r.deploy() == null ? "(deployment monitor not running)"
                : r.deploy().folder() + " (checked every " + r.deploy().scanIntervalMillis() + " ms)");
        f.format("Console     %s%n", fw.consoleSocket() == null ? "this terminal" : fw.consoleSocket());

        f.format("%nBundles (%d)%n", r.bundles().size());
        for (StatusReport.BundleInfo b : r.bundles()) {
            f.format("  %4d  %-9s %s %s%n", b.id(), b.state(), b.symbolicName(), b.version());
        }
        f.format("%nConfigurations (%d)%n", r.configurations().size());
        for (StatusReport.ConfigurationInfo c : r.configurations()) {
            f.format("  %s%s%n", c.pid(), c.source() == null ? "" : "  <- " + c.source());
            for (Map.Entry<String, Object> p : c.properties().entrySet()) {
                f.format("      %s = %s%n", p.getKey(), p.getValue());
            }
        }
        f.format("%nProblems (%d)%n", r.problems().size() + r.components().size());
        for (DeploymentProblem p : r.problems()) {
            f.format("  %s [%s%s]: %s%n      fix: %s%n", p.artifact(), p.state(),
                    p.bundleId() < 0 ? "" : ", bundle " + p.bundleId(), p.reason(), p.fix());
        }
        for (StatusReport.ComponentProblem c : r.components()) {
            f.format("  component %s (%s) [%s]: %s%n", c.name(), c.bundle(), c.state(), c.reason());
        }
        if (r.healthy()) {
            f.format("  none%n");
        }
        return text.toString().stripTrailing();
    }

    static String tasks(TasksReport r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        f.format("%d datasets, %d templates; training clusters: %s; held out: %s%n%n", r.datasets(), r.templates(),
                String.join(", ", r.trainingClusters()), String.join(", ", r.heldOutClusters()));
        f.format("%-28s %-17s %-8s %6s %6s %6s  %s%n", "DATASET", "CLUSTER", "HELD-OUT", "TRAIN", "VAL", "TEST", "STATUS");
        for (TaskInfo t : r.tasks()) {
            f.format("%-28s %-17s %-8s %6s %6s %6s  %s%n", t.dataset(), t.cluster(), t.heldOut() ? "yes" : "", count(t, "train"),
                    count(t, "validation"), count(t, "test"), t.status());
            for (TaskInfo.Template template : t.templates()) {
                f.format("    %s  (%s%s)%n", template.id(), template.answers(),
                        template.choices().isEmpty() ? "" : ": " + String.join(" | ", template.choices()));
            }
        }
        return text.toString().stripTrailing();
    }

    private static String count(TaskInfo t, String split) {
        Integer n = t.counts().get(split);
        return n == null ? "-" : n.toString();
    }

    static String examples(ExamplesReport r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        f.format("%s, %s split, %d examples%n", r.template(), r.split(), r.examples().size());
        for (TaskExample e : r.examples()) {
            f.format("%n--- %s%n%s%n", e.id(), e.input());
            if (e.isClassification()) {
                f.format("choices: %s%n", String.join(" | ", e.choices()));
            }
            f.format("target:  %s%n", e.target());
        }
        return text.toString().stripTrailing();
    }

    static String embedding(EmbedReport r) {
        StringBuilder text = new StringBuilder();
        new Formatter(text).format("%s, %d dimensions, |v| = %.6f%n", r.model(), r.dimension(), r.norm());
        for (int i = 0; i < r.vector().length; i++) {
            text.append(String.format("%9.6f", r.vector()[i])).append((i + 1) % 8 == 0 ? "\n" : " ");
        }
        return text.toString().stripTrailing();
    }

    static String scores(ScoreReport r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        for (ScoreReport.Choice c : r.choices()) {
            f.format("%s %10.4f  %s%n", c.text().equals(r.best()) ? "*" : " ", c.score(), c.text());
        }
        return text.toString().stripTrailing();
    }

    static String engine(EngineStatus s) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        f.format("Backend        %s%n", s.backend());
        f.format("Threads        %d%n", s.threads());
        f.format("Off-heap cap   %.1f GiB%n", s.maxBytes() / (double) (1L << 30));
        f.format("Physical cap   %.1f GiB%n", s.maxPhysicalBytes() / (double) (1L << 30));
        f.format("Native cache   %s%n", s.nativeCache());
        f.format("Encoder        %s%n", s.encoder().isEmpty() ? "not loaded yet (loaded on first use)" : s.encoder());
        f.format("Models         %d loaded, %.1f of %.1f MB%n", s.loaded().size(), s.cacheBytes() / 1048576.0,
                s.cacheMaxBytes() / 1048576.0);
        for (LoadedModelInfo m : s.loaded()) {
            f.format("  %-48s %8.1f MB  %d open  %s%n", m.name(), m.bytes() / 1048576.0, m.handles(), m.digest().substring(0,
                    Math.min(16, m.digest().length())));
        }
        return text.toString().stripTrailing();
    }

    static String models(ModelsReport r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        f.format("Base models (%d)%n", r.baseModels().size());
        for (BaseModelRef b : r.baseModels()) {
            f.format("  %s%n", b.id());
        }
        f.format("%nExperts trained here (%d), in %s%n", r.experts().size(), r.folder());
        for (ModelsReport.ExpertSummary e : r.experts()) {
            f.format("  %-44s %-9s %-40s over %s%n", e.name(), e.kind(), e.task(), e.base());
        }
        return text.toString().stripTrailing();
    }
}
