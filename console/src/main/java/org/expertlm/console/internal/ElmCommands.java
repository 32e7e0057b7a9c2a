package org.expertlm.console.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.BaseModelRef;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.DeploymentMonitor;
import org.expertlm.api.EngineStatus;
import org.expertlm.api.Evaluation;
import org.expertlm.api.ExpertDescriptor;
import org.expertlm.api.ModelFormatException;
import org.expertlm.api.ModelHandle;
import org.expertlm.api.ModelStore;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.ProbeReport;
import org.expertlm.api.ScoringInput;
import org.expertlm.api.SentenceEncoder;
import org.expertlm.api.Split;
import org.expertlm.api.TaskCatalog;
import org.expertlm.api.TaskExample;
import org.expertlm.api.TaskInfo;
import org.expertlm.api.Trainer;
import org.expertlm.api.TrainingJob;
import org.expertlm.api.VocabularyCoverage;
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
        "osgi.command.function=evaluate",
        "osgi.command.function=models",
        "osgi.command.function=coverage",
        "osgi.command.function=jobs"})
public final class ElmCommands {

    private static final String JSON_HELP = "print exactly one JSON document instead of text";
    private static final String DEFAULT_BASE = "elm-base";
    /** A split taken whole (the catalog caps every split when it builds the records). */
    private static final int WHOLE_SPLIT = Integer.MAX_VALUE;

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

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ModelStore store;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Trainer trainer;


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

    @Descriptor("print rendered prompted examples of a template, with their answer choices and targets; or write them as a "
            + "task file for elm:solve")
    public Object examples(
            @Descriptor("how many examples (default 5)") @Parameter(names = {"-n", "--count"}, absentValue = "5") int count,
            @Descriptor("train, validation or test (default train)") @Parameter(names = "--split", absentValue = "train") String split,
            @Descriptor("write them to this file as JSON Lines, one {input, choices, label} (or {input, target}) a line, the task "
                    + "file elm:retrieve and elm:solve read (relative to the ELM home)")
            @Parameter(names = "--jsonl", absentValue = "") String jsonl,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the template, as dataset/template (see elm:tasks)") String template) throws IOException {
        Split which = Split.parse(split);
        ExamplesReport report = new ExamplesReport(template, which.id(), catalog().examples(template, which, count));
        if (!jsonl.isEmpty()) {
            Path file = home().resolve(jsonl);
            TaskFiles.write(file, report.examples());
            String written = report.examples().size() + " " + which.id() + " examples of " + template + " written to " + file;
            return json ? Json.write(Map.of("written", file.toString(), "examples", report.examples().size())) : written;
        }
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

    @Descriptor("train a model as a job: 'elm:train base' LM-adapts a base model's decoder on the corpus of the data "
            + "cache; 'elm:train expert <template|dataset|multitask>' trains a Prompt Expert (one template), a Dataset "
            + "Expert (every classification template of a dataset) or the multitask baseline (every training template). "
            + "Progress lines go to standard error; interrupted (Ctrl-C, or exec's timeout) the job stops after its step "
            + "and leaves a checkpoint, from which the same command resumes")
    public Object train(
            @Descriptor("the training configuration (default configs/train/base.json or configs/train/expert.json; "
                    + "configs/train/base-smoke.json is the ten-minute base)") @Parameter(names = "--config", absentValue = "") String config,
            @Descriptor("the base model an expert adapts, by name or id (default elm-base; see elm:models)")
            @Parameter(names = "--base", absentValue = DEFAULT_BASE) String base,
            @Descriptor("the version the expert gets (default: the trainer's, 1.0.0)") @Parameter(names = "--version", absentValue = "") String version,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("what to train: base, or expert followed by a template id, a dataset id or multitask") String... what)
            throws InterruptedException {
        Trainer t = required(trainer, "trainer");
        TrainingJob<?> job;
        if (what.length == 1 && "base".equals(what[0])) {
            Path settings = configuration(config, "configs/train/base.json");
            TaskCatalog tasks = catalog();
            job = t.trainBase(new Trainer.BaseRequest(read(settings), settings.toString(), tasks.lmCorpus(), tasks.answerWords()));
        } else if (what.length == 2 && "expert".equals(what[0])) {
            Path settings = configuration(config, "configs/train/expert.json");
            job = t.trainExpert(new Trainer.ExpertRequest(read(settings), settings.toString(), store().baseModel(base),
                    catalog().trainingSet(what[1]), version.isEmpty() ? null : version));
        } else {
            throw new IllegalArgumentException("elm:train " + String.join(" ", what)
                    + ": expected 'base' or 'expert <template|dataset|multitask>' (see elm:tasks for the ids)");
        }
        Object result = await(job);
        return json ? Json.write(result) : result;
    }

    @Descriptor("list the trainer's jobs of this container's lifetime, newest first, with their state")
    public Object jobs(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        JobsReport report = new JobsReport(required(trainer, "trainer").jobs().stream()
                .map(j -> new JobsReport.Job(j.what(), j.state().name().toLowerCase(Locale.ROOT))).toList());
        return json ? Json.write(report) : report;
    }

    @Descriptor("list the model store: base models, and the experts trained here")
    public Object models(
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        ModelStore s = store();
        ModelsReport report = new ModelsReport(s.location(), s.baseModels(),
                s.experts().stream().map(ModelsReport.ExpertSummary::of).toList());
        return json ? Json.write(report) : report;
    }

    @Descriptor("rank classification: score each answer choice of an input under a model (a base model or an expert, "
            + "by name; see elm:models): the summed log-probability of its tokens, the best one marked")
    public Object score(
            @Descriptor("divide each score by the choice's length in tokens")
            @Parameter(names = "--normalise", presentValue = "true", absentValue = "false") boolean normalise,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the model: a base model's name or id, or an expert's id or id@version") String model,
            @Descriptor("the input (quote it when it has spaces)") String input,
            @Descriptor("two or more answer choices") String... choices) {
        if (choices.length < 2) {
            throw new IllegalArgumentException("elm:score needs at least two choices, e.g. elm:score elm-base "
                    + "'the film was great' positive negative");
        }
        try (ModelHandle handle = open(model)) {
            double[] scores = handle.score(List.of(new ScoringInput(input, List.of(choices))), normalise).get(0);
            ScoreReport report = ScoreReport.of(handle.modelName(), input, List.of(choices), scores);
            return json ? Json.write(report) : report;
        }
    }

    @Descriptor("generate a continuation of an input with a model (a base model or an expert, by name)")
    public Object generate(
            @Descriptor("beam width (default 1: greedy)") @Parameter(names = "--beam", absentValue = "1") int beam,
            @Descriptor("the most tokens to generate (default 32)") @Parameter(names = "--max", absentValue = "32") int max,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the model: a base model's name or id, or an expert's id or id@version") String model,
            @Descriptor("the input; several words are joined with spaces") String... words) {
        if (words.length == 0) {
            throw new IllegalArgumentException("elm:generate needs an input, e.g. elm:generate elm-base the war");
        }
        String input = String.join(" ", words);
        try (ModelHandle handle = open(model)) {
            GenerationReport report = new GenerationReport(handle.modelName(), input, beam, handle.generate(input, beam, max));
            return json ? Json.write(report) : report;
        }
    }

    @Descriptor("the floor of an expert: validation accuracy of a logistic-regression probe on the frozen encoder's "
            + "sentence vectors of a classification template's training examples; progress on standard error")
    public Object probe(
            @Descriptor("training examples used (default 2000)") @Parameter(names = "--max", absentValue = "2000") int max,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the template, as dataset/template") String template) {
        TaskCatalog tasks = catalog();
        PrintStream err = System.err;
        ProbeReport report = required(engine, "neural engine").probe(template, tasks.examples(template, Split.TRAIN, max),
                tasks.examples(template, Split.VALIDATION, WHOLE_SPLIT), line -> println(err, line));
        return json ? Json.write(report) : report;
    }

    @Descriptor("the rank-classification accuracy of a model (a base model or an expert, by name) on a classification "
            + "template's validation (or test) split, and how fast it scored")
    public Object evaluate(
            @Descriptor("validation or test (default validation)") @Parameter(names = "--split", absentValue = "validation") String split,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("the model: a base model's name or id, or an expert's id or id@version") String model,
            @Descriptor("the template, as dataset/template") String template) {
        Split which = Split.parse(split);
        List<TaskExample> examples = catalog().examples(template, which, WHOLE_SPLIT);
        try (ModelHandle handle = open(model)) {
            PrintStream err = System.err;
            println(err, String.format("%s: %d %s examples of %s", handle.modelName(), examples.size(), which.id(), template));
            Evaluation report = handle.evaluate(examples, line -> println(err, line));
            return json ? Json.write(report) : report;
        }
    }

    @Descriptor("how much of each generation template's targets (training split) a base model's output vocabulary "
            + "can express: the share of their word pieces it holds, and the pieces it lacks most often")
    public Object coverage(
            @Descriptor("the base model, by name or id (default elm-base)") @Parameter(names = "--base", absentValue = DEFAULT_BASE) String base,
            @Descriptor("targets counted per template (default 2000)") @Parameter(names = "--max", absentValue = "2000") int max,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("templates (default: every generation template)") String... templates) {
        TaskCatalog tasks = catalog();
        List<String> wanted = templates.length > 0 ? List.of(templates) : tasks.tasks().stream()
                .flatMap(t -> t.templates().stream()).filter(t -> "generation".equals(t.answers()))
                .map(TaskInfo.Template::id).toList();
        NeuralEngine e = required(engine, "neural engine");
        BaseModelRef ref = store().baseModel(base);
        PrintStream err = System.err;
        List<VocabularyCoverage> measured = new ArrayList<>();
        for (String t : wanted) {
            measured.add(e.coverage(ref, tasks.examples(t, Split.TRAIN, max)));
            println(err, String.format("coverage: %d/%d templates measured (%s)", measured.size(), wanted.size(), t));
        }
        CoverageReport report = new CoverageReport(VocabularyCoverage.MINIMUM, measured);
        return json ? Json.write(report) : report;
    }

    /**
     * Waits for a job, printing its progress on this command's standard error; an interrupt cancels it
     * (it stops after its step and leaves a checkpoint). The lines are printed from this thread: the
     * shell's standard streams belong to the command's thread, not to the trainer's.
     */
    private static Object await(TrainingJob<?> job) throws InterruptedException {
        PrintStream err = System.err;
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        job.onProgress(lines::add);
        try {
            while (!isOver(job)) {
                String line = lines.poll(200, TimeUnit.MILLISECONDS);
                if (line != null) {
                    println(err, line);
                }
            }
            drain(lines, err);
            return job.await();
        } catch (InterruptedException e) {
            job.cancel();
            job.awaitStopped();
            drain(lines, err);
            Thread.currentThread().interrupt();
            throw new InterruptedException(job.what() + " was interrupted and is cancelled; its checkpoint is kept: "
                    + "run the same command again to resume");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(job.what() + " failed: " + cause.getMessage(), cause);
        }
    }

    private static boolean isOver(TrainingJob<?> job) {
        TrainingJob.State state = job.state();
        return state == TrainingJob.State.SUCCEEDED || state == TrainingJob.State.FAILED || state == TrainingJob.State.CANCELLED;
    }

    private static void drain(BlockingQueue<String> lines, PrintStream err) {
        for (String line; (line = lines.poll()) != null;) {
            println(err, line);
        }
    }

    private static void println(PrintStream stream, String line) {
        stream.println(line);
        stream.flush();
    }

    /** A model by name: an expert trained here when one has it, else a base model. */
    private ModelHandle open(String model) {
        NeuralEngine e = required(engine, "neural engine");
        ModelStore s = store();
        boolean expert = s.experts().stream().anyMatch(d -> d.id().equals(model) || d.name().equals(model));
        if (!expert) {
            try {
                return e.open(s.baseModel(model));
            } catch (IllegalArgumentException noBase) {
                List<String> experts = s.experts().stream().map(ExpertDescriptor::name).toList();
                throw new IllegalArgumentException("no model '" + model + "': " + noBase.getMessage() + "; experts: "
                        + (experts.isEmpty() ? "none" : String.join(", ", experts)) + " (see elm:models)");
            }
        }
        ExpertDescriptor d = s.expert(model);
        try {
            return e.open(d, s.tensors(d));
        } catch (ModelFormatException bad) {
            throw new IllegalStateException(bad.getMessage(), bad);
        }
    }

    private Path configuration(String given, String fallback) {
        Path settings = home().resolve(given.isEmpty() ? fallback : given).normalize();
        if (!Files.isRegularFile(settings)) {
            throw new IllegalArgumentException("no training configuration at " + settings
                    + "; expected a JSON file such as " + fallback);
        }
        return settings;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private Path home() {
        return Paths.get(property(ContainerProperties.HOME, "."));
    }

    private String property(String name, String fallback) {
        String value = context.getProperty(name);
        return value == null ? fallback : value;
    }

    private ModelStore store() {
        return required(store, "model store");
    }

    private static <T> T required(T service, String what) {
        if (service == null) {
            throw new IllegalStateException("the " + what + " is not running; the bundle org.expertlm.engine must be active"
                    + " (see elm:status)");
        }
        return service;
    }
}
