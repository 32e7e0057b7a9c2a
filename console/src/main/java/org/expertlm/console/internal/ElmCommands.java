package org.expertlm.console.internal;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.BaseModelInfo;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.DeploymentMonitor;
import org.expertlm.api.EngineStatus;
import org.expertlm.api.ExpertInfo;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskExample;
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
        "osgi.command.function=train",
        "osgi.command.function=score",
        "osgi.command.function=generate",
        "osgi.command.function=probe",
        "osgi.command.function=evaluate"})
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

    @Descriptor("train a model: 'elm:train base' LM-adapts the base model's decoder on the corpus of the data cache; "
            + "'elm:train expert <template|dataset|multitask>' trains a Prompt Expert (one template), a Dataset Expert "
            + "(every classification template of a dataset) or the multitask baseline (every training template); "
            + "prints progress; a run resumes from its output folder's checkpoint")
    public Object train(
            @Descriptor("the training configuration (default configs/train/base.json or configs/train/expert.json; "
                    + "configs/train/base-smoke.json is the ten-minute base)") @Parameter(names = "--config", absentValue = "") String config,
            @Descriptor("where the model is written (default models/base/<configuration name> or models/experts/<id>)")
            @Parameter(names = "--out", absentValue = "") String out,
            @Descriptor("the base model folder an expert adapts (default models/base/elm-base)")
            @Parameter(names = "--base", absentValue = "") String base,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("what to train: base, or expert followed by a template id, a dataset id or multitask") String... what) {
        PrintStream console = System.out;
        Consumer<String> progress = line -> {
            if (!json) {
                console.println(line);
                console.flush();
            }
        };
        if (what.length == 1 && "base".equals(what[0])) {
            Path settings = configuration(config, "configs/train/base.json");
            String name = settings.getFileName().toString().replaceFirst("\\.json$", "");
            Path output = out.isEmpty() ? modelsDir().resolve("base").resolve(name) : home().resolve(out).normalize();
            TaskCatalog tasks = catalog();
            Set<String> answerWords = new TreeSet<>();
            tasks.tasks().forEach(t -> t.templates().forEach(template -> answerWords.addAll(template.choices())));
            BaseModelInfo info = required(engine, "neural engine").trainBase(settings, output, tasks.lmCorpus(), answerWords,
                    progress);
            return json ? Json.write(info) : "base model " + info.id() + " written to " + info.folder();
        }
        if (what.length == 2 && "expert".equals(what[0])) {
            Path settings = configuration(config, "configs/train/expert.json");
            ExpertData data = ExpertData.of(catalog(), what[1]);
            String id = data.id();
            Path output = out.isEmpty() ? modelsDir().resolve("experts").resolve(id) : home().resolve(out).normalize();
            progress.accept(String.format("%s: %d training and %d validation examples from %s", id, data.train().size(),
                    data.validation().size(), String.join(", ", data.templates())));
            ExpertInfo info = required(engine, "neural engine").trainExpert(settings, baseFolder(base), output, id, what[1],
                    data.train(), data.validation(), progress);
            return json ? Json.write(info) : String.format("expert %s written to %s: validation accuracy %.4f (epoch %d, %.0f s)",
                    info.id(), info.folder(), info.validationAccuracy(), info.bestEpoch(), info.seconds());
        }
        throw new IllegalArgumentException("elm:train " + String.join(" ", what)
                + ": expected 'base' or 'expert <template|dataset|multitask>' (see elm:tasks for the ids)");
    }

    @Descriptor("rank classification: score each answer choice of an input under a model (a base-model folder or an "
            + "expert folder): the summed log-probability of its tokens, the best one marked")
    public Object score(
            @Descriptor("the base model folder an expert adapts (default models/base/elm-base)")
            @Parameter(names = "--base", absentValue = "") String base,
            @Descriptor("divide each score by the choice's length in tokens")
            @Parameter(names = "--normalise", presentValue = "true", absentValue = "false") boolean normalise,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the model folder") String model,
            @Descriptor("the input (quote it when it has spaces)") String input,
            @Descriptor("two or more answer choices") String... choices) {
        if (choices.length < 2) {
            throw new IllegalArgumentException("elm:score needs at least two choices, e.g. elm:score models/base/elm-base "
                    + "'the film was great' positive negative");
        }
        double[] scores = required(engine, "neural engine").score(modelFolder(model), baseFolder(base), input,
                List.of(choices), normalise);
        ScoreReport report = ScoreReport.of(input, List.of(choices), scores);
        return json ? Json.write(report) : report;
    }

    @Descriptor("generate a continuation of an input with a model (a base-model folder or an expert folder)")
    public Object generate(
            @Descriptor("the base model folder an expert adapts (default models/base/elm-base)")
            @Parameter(names = "--base", absentValue = "") String base,
            @Descriptor("beam width (default 1: greedy)") @Parameter(names = "--beam", absentValue = "1") int beam,
            @Descriptor("the most tokens to generate (default 32)") @Parameter(names = "--max", absentValue = "32") int max,
            @Descriptor("the model folder") String model,
            @Descriptor("the input; several words are joined with spaces") String... words) {
        if (words.length == 0) {
            throw new IllegalArgumentException("elm:generate needs an input, e.g. elm:generate models/base/elm-base the war");
        }
        return required(engine, "neural engine").generate(modelFolder(model), baseFolder(base),
                String.join(" ", words), beam, max);
    }

    @Descriptor("the floor of an expert: validation accuracy of a logistic-regression probe on the frozen encoder's "
            + "sentence vectors of a classification template's training examples")
    public Object probe(
            @Descriptor("training examples used (default 2000)") @Parameter(names = "--max", absentValue = "2000") int max,
            @Descriptor("the template, as dataset/template") String template) {
        TaskCatalog tasks = catalog();
        List<TaskExample> train = tasks.examples(template, Split.TRAIN, max);
        List<TaskExample> validation = tasks.examples(template, Split.VALIDATION, ExpertData.VALIDATION_CAP);
        double accuracy = required(engine, "neural engine").probeAccuracy(train, validation);
        return String.format("%s: logistic-regression probe on sentence vectors, %d training examples: validation accuracy %.4f "
                + "(%d examples)", template, train.size(), accuracy, validation.size());
    }

    @Descriptor("the rank-classification accuracy of a model (a base-model or expert folder) on a classification "
            + "template's validation (or test) split")
    public Object evaluate(
            @Descriptor("the base model folder an expert adapts (default models/base/elm-base)")
            @Parameter(names = "--base", absentValue = "") String base,
            @Descriptor("validation or test (default validation)") @Parameter(names = "--split", absentValue = "validation") String split,
            @Descriptor("the model folder") String model,
            @Descriptor("the template, as dataset/template") String template) {
        Split which = Split.parse(split);
        List<TaskExample> examples = catalog().examples(template, which, ExpertData.VALIDATION_CAP);
        NeuralEngine e = required(engine, "neural engine");
        e.accuracy(modelFolder(model), baseFolder(base), examples.subList(0, Math.min(8, examples.size()))); // load, warm up
        long start = System.nanoTime();
        double accuracy = e.accuracy(modelFolder(model), baseFolder(base), examples);
        double seconds = (System.nanoTime() - start) / 1e9;
        return String.format("%s on %s (%s, %d examples): accuracy %.4f, scored at %.1f examples/s", model, template,
                which.id(), examples.size(), accuracy, examples.size() / seconds);
    }

    private Path configuration(String given, String fallback) {
        Path settings = home().resolve(given.isEmpty() ? fallback : given).normalize();
        if (!Files.isRegularFile(settings)) {
            throw new IllegalArgumentException("no training configuration at " + settings
                    + "; expected a JSON file such as " + fallback);
        }
        return settings;
    }

    private Path baseFolder(String given) {
        return given.isEmpty() ? modelsDir().resolve("base").resolve("elm-base") : modelFolder(given);
    }

    /**
     * A model folder as the user names it: absolute, or relative to the home folder, or else relative to
     * the folder that holds {@code models/} (the distribution's, which in the source tree is not the home).
     */
    private Path modelFolder(String given) {
        Path path = home().resolve(given).normalize();
        Path distribution = modelsDir().toAbsolutePath().getParent();
        return Files.exists(path) || distribution == null ? path : distribution.resolve(given).normalize();
    }

    private Path home() {
        return Paths.get(property(ContainerProperties.HOME, "."));
    }

    private Path modelsDir() {
        return Paths.get(property(ContainerProperties.MODELS_DIR, "models"));
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
