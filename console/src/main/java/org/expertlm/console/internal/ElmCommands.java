package org.expertlm.console.internal;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.BaseModelInfo;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.DeploymentMonitor;
import org.expertlm.api.EngineStatus;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * The {@code elm} command scope. Each command returns a DTO, which the shell prints as text through
 * {@link TextFormats}; with {@code --json} it returns the DTO as exactly one JSON document instead.
 * Services other commands need are optional, so the console starts and reports what is missing.
 */
@Component(service = ElmCommands.class, property = {
        "osgi.command.scope=elm",
        "osgi.command.function=status",
        "osgi.command.function=tasks",
        "osgi.command.function=examples",
        "osgi.command.function=embed",
        "osgi.command.function=engine",
        "osgi.command.function=train"})
public final class ElmCommands {

    private static final String JSON_HELP = "print exactly one JSON document instead of text";

    private BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DeploymentMonitor monitor;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ConfigurationAdmin configurationAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServiceComponentRuntime componentRuntime;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile TaskCatalog catalog;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SentenceEncoder encoder;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile NeuralEngine engine;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Descriptor("show the container: framework and bundle states, the deploy folder, the configuration in force, "
            + "and bundles or components that failed to install or start, with the reason")
    public Object status(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        StatusReport report = StatusCollector.collect(context, monitor, configurationAdmin, componentRuntime);
        return json ? Json.write(report) : report;
    }

    @Descriptor("list the task catalog: datasets with their cluster, held-out flag, templates (dataset/template), "
            + "examples per split and whether their data is fetched")
    public Object tasks(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        TasksReport report = TasksReport.of(catalog().tasks());
        return json ? Json.write(report) : report;
    }

    @Descriptor("print rendered prompted examples of a template, with their answer choices and targets")
    public Object examples(
            @Descriptor("how many examples (default 5)") @Parameter(names = {"-n", "--count"}, absentValue = "5") int count,
            @Descriptor("train, validation or test (default train)") @Parameter(names = "--split", absentValue = "train") String split,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the template, as dataset/template (see elm:tasks)") String template) {
        Split which = Split.parse(split);
        ExamplesReport report = new ExamplesReport(template, which.id(), catalog().examples(template, which, count));
        return json ? Json.write(report) : report;
    }

    private TaskCatalog catalog() {
        TaskCatalog c = catalog;
        if (c == null) {
            throw new IllegalStateException("the task catalog is not running; the bundle org.expertlm.tasks must be active"
                    + " (see elm:status)");
        }
        return c;
    }

    @Descriptor("print the sentence vector of a text (384 values, unit length), as the expert library embeds it")
    public Object embed(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the text; several words are joined with spaces") String... words) {
        if (words.length == 0) {
            throw new IllegalArgumentException("elm:embed needs a text, e.g. elm:embed hello world");
        }
        SentenceEncoder e = required(encoder, "sentence encoder");
        String text = String.join(" ", words);
        EmbedReport report = EmbedReport.of(e.modelId(), text, e.embed(List.of(text)).get(0));
        return json ? Json.write(report) : report;
    }

    @Descriptor("show the neural engine: ND4J backend, threads, memory caps, native cache, loaded models")
    public Object engine(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        EngineStatus status = required(engine, "neural engine").status();
        return json ? Json.write(status) : status;
    }

    @Descriptor("elm:train base: train the base model's decoder over the frozen encoder (LM adaptation) on the corpus of the data cache; "
            + "prints progress, resumes from the output folder's checkpoint when run again")
    public Object train(
            @Descriptor("the training configuration (default configs/train/base.json; configs/train/base-smoke.json "
                    + "is the ten-minute one)") @Parameter(names = "--config", absentValue = "configs/train/base.json") String config,
            @Descriptor("where the model is written (default models/base/<configuration name>)")
            @Parameter(names = "--out", absentValue = "") String out,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("what to train: base") String what) {
        if (!"base".equals(what)) {
            throw new IllegalArgumentException("elm:train " + what + ": expected 'base' (experts come with the expert registry)");
        }
        Path home = Paths.get(property(ContainerProperties.HOME, "."));
        Path settings = home.resolve(config).normalize();
        if (!Files.isRegularFile(settings)) {
            throw new IllegalArgumentException("no training configuration at " + settings
                    + "; expected a JSON file such as configs/train/base.json");
        }
        String name = settings.getFileName().toString().replaceFirst("\\.json$", "");
        Path output = out.isEmpty() ? Paths.get(property(ContainerProperties.MODELS_DIR, "models")).resolve("base").resolve(name)
                : home.resolve(out).normalize();
        TaskCatalog tasks = catalog();
        Set<String> answerWords = new TreeSet<>();
        tasks.tasks().forEach(t -> t.templates().forEach(template -> answerWords.addAll(template.choices())));
        PrintStream console = System.out;
        BaseModelInfo info = required(engine, "neural engine").trainBase(settings, output, tasks.lmCorpus(), answerWords,
                line -> {
                    if (!json) {
                        console.println(line);
                        console.flush();
                    }
                });
        return json ? Json.write(info) : "base model " + info.id() + " written to " + info.folder();
    }

    private String property(String name, String fallback) {
        String value = context.getProperty(name);
        return value == null ? fallback : value;
    }

    private static <T> T required(T service, String what) {
        if (service == null) {
            throw new IllegalStateException("the " + what + " is not running; the bundle org.expertlm.engine must be active"
                    + " (see elm:status)");
        }
        return service;
    }
}
