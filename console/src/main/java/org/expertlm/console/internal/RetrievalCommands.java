package org.expertlm.console.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Formatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import org.expertlm.api.Composer;
import org.expertlm.api.ContainerProperties;
import org.expertlm.api.Retriever;
import org.expertlm.api.Solver;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code elm:retrieve}: the experts a task's unlabeled instances (a JSON Lines file) vote for, with the library
 * instances that chose each one; {@code elm:solve}: then the answers those experts give every instance, and the
 * accuracy where the file carries gold answers. Options left out take the retriever's configured defaults.
 */
@Component(service = RetrievalCommands.class, property = {"osgi.command.scope=elm", "osgi.command.function=retrieve",
        "osgi.command.function=solve"})
public final class RetrievalCommands {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_HELP = "print exactly one JSON document instead of text";
    private static final String FILE_HELP = "a JSON Lines file, one instance a line: input (the prompted text), choices for "
            + "classification (none for generation), and optionally label or target, the gold answer, which retrieval never "
            + "sees (relative to the ELM home)";
    /** The longest line read: far more than a prompted input the encoder reads (its first 256 word pieces) needs. */
    static final int MAX_LINE = 65_536;

    /** A task file: its instances, and their gold answers (null where a line has none; empty when no line has one). */
    record TaskFile(List<Retriever.Instance> instances, List<String> gold) {
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Retriever retriever;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Solver solver;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Composer composer;

    private final BundleContext context;

    @Activate
    public RetrievalCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("the experts a task's unlabeled instances vote for (Retrieval of Experts): each of the file's first q "
            + "instances retrieves its k nearest library instances, one vote each; most votes first, a tie to the expert met first")
    public Object retrieve(
            @Descriptor("instances that vote (default: configured, else 32, the paper's Q)") @Parameter(names = "-q", absentValue = "") String q,
            @Descriptor("library instances each one retrieves (default: configured, else 1)") @Parameter(names = "-k", absentValue = "") String k,
            @Descriptor("dense (sentence vectors, the paper's), bm25, or hybrid (the two fused by reciprocal rank)")
            @Parameter(names = "--mode", absentValue = "") String mode,
            @Descriptor("the text embedded: instance, label_instance (the paper's) or choice_instance")
            @Parameter(names = "--format", absentValue = "") String format,
            @Descriptor("task (one vote of the first q instances, the paper's) or instance (each instance routed alone)")
            @Parameter(names = "--per", absentValue = "") String per,
            @Descriptor("library instances searched per expert, its first ones (default: configured, else 100, the paper's S)")
            @Parameter(names = "--library-size", absentValue = "") String librarySize,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor(FILE_HELP) String file) throws IOException {
        Retriever r = required(retriever, "retriever");
        Retriever.Settings settings = settings(r.settings(), q, k, mode, format, per, "", librarySize);
        TaskFile task = read(resolve(file));
        Retriever.Retrieval found = r.retrieve(task.instances(), settings, progress());
        return json ? Json.write(found) : text(found);
    }

    @Descriptor("solve a task nobody trained for: retrieve experts with its unlabeled instances, answer every instance with "
            + "them (rank classification, or generation without choices), and print the accuracy where the file has gold "
            + "answers; progress on standard error")
    public Object solve(
            @Descriptor("instances that vote (default: configured, else 32)") @Parameter(names = "-q", absentValue = "") String q,
            @Descriptor("library instances each one retrieves (default: configured, else 1)") @Parameter(names = "-k", absentValue = "") String k,
            @Descriptor("dense, bm25 or hybrid (default: configured, else dense)") @Parameter(names = "--mode", absentValue = "") String mode,
            @Descriptor("instance, label_instance or choice_instance (default: configured, else label_instance)")
            @Parameter(names = "--format", absentValue = "") String format,
            @Descriptor("task or instance (default: configured, else task)") @Parameter(names = "--per", absentValue = "") String per,
            @Descriptor("library instances searched per expert, its first ones (default: configured, else 100, the paper's S)")
            @Parameter(names = "--library-size", absentValue = "") String librarySize,
            @Descriptor("how many top experts answer together, their choice probabilities averaged by votes (default: configured, "
                    + "else 1)") @Parameter(names = "--mixture", absentValue = "") String mixture,
            @Descriptor("also answer with this expert (id or id@version), e.g. multitask, on the same instances")
            @Parameter(names = "--baseline", absentValue = "") String baseline,
            @Descriptor("answer with this expert (id, id@version or a composite's id) alone, retrieving nothing")
            @Parameter(names = "--expert", absentValue = "") String expert,
            @Descriptor("also answer the same instances with the weight merge of the top k retrieved experts (the paper's top-k "
                    + "merge), beside the output mixture") @Parameter(names = "--merge-top-k", absentValue = "") String mergeTopK,
            @Descriptor("the merge method of --merge-top-k (default average; see elm:composites)")
            @Parameter(names = "--method", absentValue = "") String method,
            @Descriptor("write the predictions here as JSON Lines (relative to the ELM home)") @Parameter(names = "--out", absentValue = "") String out,
            @Descriptor(JSON_HELP) @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor(FILE_HELP) String file) throws IOException {
        Retriever r = required(retriever, "retriever");
        Solver s = required(solver, "solver");
        Retriever.Settings settings = settings(r.settings(), q, k, mode, format, per, mixture, librarySize);
        int top = mergeTopK.isEmpty() ? 0 : number("--merge-top-k", mergeTopK);
        if (!mergeTopK.isEmpty() && (top < 1 || !expert.isEmpty())) {
            throw new IllegalArgumentException("--merge-top-k " + mergeTopK + ": " + (top < 1 ? "expected at least 1 expert to merge"
                    : "it merges retrieved experts, and --expert retrieves none; leave one of them out"));
        }
        if (!method.isEmpty() && top == 0) {
            throw new IllegalArgumentException("--method " + method + " is the merge method of --merge-top-k; give --merge-top-k too");
        }
        Composer c = top == 0 ? null : required(composer, "composer");
        String mergeMethod = method.isEmpty() ? "average" : method;
        if (c != null && !c.methods().contains(mergeMethod)) {
            throw new IllegalArgumentException("--method " + mergeMethod + ": no such merge method; there are " + String.join(", ", c.methods()));
        }
        TaskFile task = read(resolve(file));
        Consumer<String> progress = progress();
        progress.accept(task.instances().size() + " instances read from " + file + (task.gold().isEmpty() ? ""
                : ", " + task.gold().stream().filter(g -> g != null).count() + " with gold answers (never shown to retrieval)"));
        Solver.Solution solution = expert.isEmpty() ? s.solve(task.instances(), task.gold(), settings, progress)
                : s.answer(expert, task.instances(), task.gold(), progress);
        Solver.Solution base = null;
        if (!baseline.isEmpty()) {
            progress.accept("baseline: answering the same instances with " + baseline);
            base = s.answer(baseline, task.instances(), task.gold(), progress);
        }
        Merge merge = null;
        if (top > 0) {
            List<String> members = solution.retrieval().experts().stream().limit(top).map(Retriever.Choice::name).toList();
            Composer.Composite composite = c.compose(Composer.Recipe.of(members, mergeMethod), null);
            progress.accept("merge: " + composite.name() + " = " + composite.recipe().text() + "; answering the same instances");
            merge = new Merge(composite, s.answer(composite.name(), task.instances(), task.gold(), progress));
        }
        Path written = null;
        if (!out.isEmpty()) {
            written = resolve(out);
            TaskFiles.writeLines(written, solution.predictions().stream().map(RetrievalCommands::line).toList());
            progress.accept("predictions written to " + written);
        }
        if (json) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("retrieval", solution.retrieval());
            report.put("settings", solution.settings());
            report.put("instances", solution.predictions().size());
            report.put("labelled", solution.labelled());
            report.put("accuracy", finite(solution.accuracy()));
            report.put("answeredBy", answeredBy(solution));
            if (base != null) {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("expert", answeredBy(base).keySet().iterator().next());
                b.put("accuracy", finite(base.accuracy()));
                report.put("baseline", b);
            }
            if (merge != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("composite", merge.composite().name());
                m.put("recipe", merge.composite().recipe());
                m.put("mergeMillis", merge.composite().mergeMillis());
                m.put("accuracy", finite(merge.solution().accuracy()));
                m.put("predictions", merge.solution().predictions().stream().map(RetrievalCommands::line).toList());
                report.put("merge", m);
            }
            report.put("predictions", written == null ? solution.predictions().stream().map(RetrievalCommands::line).toList()
                    : written.toString());
            return Json.write(report);
        }
        return solutionText(solution, base, merge, written);
    }

    /** The answers of the top experts' weight merge, beside the retrieval's. */
    private record Merge(Composer.Composite composite, Solver.Solution solution) {
    }

    /** Lines to this command's standard error, from its own thread: the shell's streams belong to it. */
    private static Consumer<String> progress() {
        PrintStream err = System.err;
        return line -> {
            err.println(line);
            err.flush();
        };
    }

    private Path resolve(String file) {
        String home = context.getProperty(ContainerProperties.HOME);
        return Path.of(home == null ? "." : home).resolve(file);
    }

    /** The configured settings, with what a command gave in their place; each value checked with a clear error. */
    static Retriever.Settings settings(Retriever.Settings configured, String q, String k, String mode, String format,
            String per, String mixture, String librarySize) {
        Retriever.Settings s = configured;
        if (!librarySize.isEmpty()) {
            s = s.withLibrarySize(number("--library-size", librarySize));
        }
        if (!q.isEmpty()) {
            s = s.withQ(number("-q", q));
        }
        if (!k.isEmpty()) {
            s = s.withK(number("-k", k));
        }
        if (!mixture.isEmpty()) {
            s = s.withMixture(number("--mixture", mixture));
        }
        if (!mode.isEmpty()) {
            s = s.withMode(Retriever.Settings.mode(mode));
        }
        if (!format.isEmpty()) {
            s = s.withFormat(Retriever.Settings.format(format));
        }
        if (!per.isEmpty()) {
            s = s.withGranularity(Retriever.Settings.granularity(per));
        }
        return s;
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + value + ": expected a whole number");
        }
    }

    /**
     * Reads a task file. A line that is not a JSON object, lacks {@code input}, has fewer than two choices, a label
     * that is not one of them, or more than {@link #MAX_LINE} characters is refused with its number; blank lines are
     * skipped; other fields are ignored. {@code label} is a choice (its text, or its index when no choice reads as
     * that number); {@code target} a generation's reference.
     */
    static TaskFile read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no instance file at " + file + "; expected JSON Lines, one {\"input\": …, "
                    + "\"choices\": […]} a line");
        }
        List<Retriever.Instance> instances = new ArrayList<>();
        List<String> gold = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line; (line = in.readLine()) != null;) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + ", line " + number + ": ";
                if (line.length() > MAX_LINE) {
                    throw new IllegalArgumentException(where + line.length() + " characters; an instance line holds at most "
                            + MAX_LINE + " (the encoder reads only an input's first 256 word pieces): shorten the input");
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + "not JSON (" + e.getMessage().lines().findFirst().orElse("")
                            + "); expected one object a line");
                }
                if (node == null || !node.isObject()) {
                    throw new IllegalArgumentException(where + "expected a JSON object, found " + line.strip());
                }
                if (!node.path("input").isTextual()) {
                    throw new IllegalArgumentException(where + "no \"input\" text; expected the prompted input");
                }
                List<String> choices = new ArrayList<>();
                if (node.has("choices")) {
                    node.path("choices").forEach(c -> choices.add(c.asText()));
                    if (!node.path("choices").isArray() || choices.size() < 2) {
                        throw new IllegalArgumentException(where + "\"choices\" must list two or more answers (leave it out "
                                + "for generation)");
                    }
                }
                instances.add(new Retriever.Instance(node.path("input").asText(), choices));
                gold.add(gold(node, choices, where));
            }
        }
        if (instances.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no instance; expected JSON Lines, one {\"input\": …} a line");
        }
        boolean none = gold.stream().allMatch(g -> g == null);
        return new TaskFile(instances, none ? List.of() : Collections.unmodifiableList(gold));
    }

    private static String gold(JsonNode node, List<String> choices, String where) {
        JsonNode label = node.path("label");
        if (!label.isMissingNode() && !label.isNull()) {
            if (choices.isEmpty()) {
                throw new IllegalArgumentException(where + "a \"label\" without \"choices\"; a generation's gold answer is its \"target\"");
            }
            if (label.isIntegralNumber() && !choices.contains(label.asText())) {
                int i = label.asInt();
                if (i < 0 || i >= choices.size()) {
                    throw new IllegalArgumentException(where + "\"label\" " + i + " is not the index of one of the " + choices.size()
                            + " choices");
                }
                return choices.get(i);
            }
            if (!choices.contains(label.asText())) {
                throw new IllegalArgumentException(where + "\"label\" \"" + label.asText() + "\" is not one of the choices " + choices);
            }
            return label.asText();
        }
        JsonNode target = node.path("target");
        return target.isTextual() ? target.asText() : null;
    }

    /** A prediction as a line of JSON: NaN (no gold) as null. */
    private static Map<String, Object> line(Solver.Prediction p) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("index", p.index());
        line.put("answer", p.answer());
        line.put("probabilities", p.probabilities());
        line.put("experts", p.experts());
        line.put("gold", p.gold());
        line.put("score", finite(p.score()));
        return line;
    }

    private static Double finite(double value) {
        return Double.isNaN(value) ? null : value;
    }

    /** Each expert that answered (id@version) and how many instances it took part in, most first. */
    private static Map<String, Integer> answeredBy(Solver.Solution solution) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Solver.Prediction p : solution.predictions()) {
            for (String e : p.experts()) {
                counts.merge(e, 1, Integer::sum);
            }
        }
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private static String solutionText(Solver.Solution solution, Solver.Solution base, Merge merge, Path written) {
        StringBuilder text = new StringBuilder(solution.retrieval() == null ? "" : text(solution.retrieval()) + "\n");
        Formatter f = new Formatter(text);
        Retriever.Settings s = solution.settings();
        f.format("answered %d instances (%s)%n", solution.predictions().size(), solution.retrieval() == null ? "the expert named"
                : s.mixture() == 1 ? "the top expert alone" : "a mixture of the top " + s.mixture() + " experts, weighted by votes");
        answeredBy(solution).forEach((e, n) -> f.format("    %-48s %d instances%n", e, n));
        if (solution.labelled() > 0) {
            f.format("accuracy %.4f over %d labelled instances%s%n", solution.accuracy(), solution.labelled(),
                    solution.retrieval() == null ? "" : " (retrieval)");
        }
        if (base != null) {
            String name = answeredBy(base).keySet().iterator().next();
            f.format(base.labelled() > 0 ? "accuracy %.4f with the baseline %s on the same instances%n" : "baseline %s answered%n",
                    base.labelled() > 0 ? new Object[] {base.accuracy(), name} : new Object[] {name});
        }
        if (merge != null) {
            Composer.Composite m = merge.composite();
            f.format(merge.solution().labelled() > 0 ? "accuracy %.4f with the weight merge %s on the same instances%n    %s%n"
                    : "the weight merge %2$s answered%n    %3$s%n", merge.solution().accuracy(), m.name(), m.recipe().text());
        }
        if (written != null) {
            f.format("predictions: %s%n", written);
        }
        return text.toString().stripTrailing();
    }

    private static String text(Retriever.Retrieval r) {
        StringBuilder text = new StringBuilder();
        Formatter f = new Formatter(text);
        f.format("%d instances, %s, %s, per %s, %d library instance(s) each, over %d library instances%n", r.queries(),
                r.mode().name().toLowerCase(Locale.ROOT), r.format().key(), r.granularity().name().toLowerCase(Locale.ROOT),
                r.k(), r.libraryInstances());
        for (Retriever.Choice c : r.experts()) {
            f.format("%-48s %3d votes  mean score %.3f%n", c.name(), c.votes(), c.meanScore());
            for (Retriever.Neighbour n : c.nearest()) {
                String shown = n.text().length() > 100 ? n.text().substring(0, 100) + "…" : n.text();
                f.format("    %.3f  %s  %s%n", n.score(), n.template(), shown.replace('\n', ' '));
            }
        }
        return text.toString().stripTrailing();
    }

    private static <T> T required(T service, String what) {
        if (service == null) {
            throw new IllegalStateException("the " + what + " is not running; the bundle org.expertlm.retrieval must be active "
                    + "(see elm:status)");
        }
        return service;
    }
}
