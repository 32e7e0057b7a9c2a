package org.expertlm.eval.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.expertlm.api.Evaluator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An evaluation configuration ({@value Evaluator#FORMAT}), checked: every field known, every number in range.
 *
 * @param name the run's name: its work folder's and its report's
 * @param report where the report goes, relative to the ELM home
 * @param instances test instances of each unseen (and composed) task, its first ones
 * @param seenInstances validation instances of each training template
 * @param baselines the multitask baselines, the first the one shares of gain are measured against
 * @param unseen the unseen tasks' templates; empty: every classification template of the held-out clusters but
 *     the composed ones
 * @param composed the composed tasks, each with the experts whose skills it composes
 * @param methods the merge methods the composed tasks are answered with
 * @param q the ablation's numbers of voting instances
 * @param k the ablation's library instances each query retrieves
 * @param mixtures the ablation's numbers of experts in an output mixture
 * @param librarySizes the ablation's numbers of library instances searched per expert (the paper's S)
 * @param continual experiment 3's library configuration (new tasks' experts, the baseline fine-tuned on them one after
 *     another), relative to the ELM home; null: no experiment 3
 */
record EvalConfig(String name, String report, int instances, int seenInstances, List<String> baselines, List<String> unseen,
        List<Composed> composed, List<String> methods, List<Integer> q, List<Integer> k, List<Integer> mixtures,
        List<Integer> librarySizes, String continual) {

    /** A composed task and the experts whose skills it composes. */
    record Composed(String template, List<String> members) {
    }

    private static final Set<String> FIELDS = Set.of("format", "name", "report", "instances", "seenInstances", "baselines",
            "unseen", "composed", "methods", "q", "k", "mixtures", "librarySizes", "continual");
    private static final int QUICK = 16;

    static EvalConfig read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not readable JSON: " + e.getMessage()
                    + "; an evaluation configuration is one JSON object (see configs/eval/full.json)");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected one JSON object (see configs/eval/full.json)");
        }
        if (!Evaluator.FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(file + ": format is '" + root.path("format").asText() + "', expected '"
                    + Evaluator.FORMAT + "'");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext();) {
            String field = names.next();
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(file + ": unknown field '" + field + "'; expected " + new TreeSet<>(FIELDS));
            }
        }
        String name = root.path("name").asText("");
        if (!name.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException(file + ": name '" + name + "' should be lower-case letters, digits and dashes");
        }
        List<Composed> composed = new ArrayList<>();
        for (JsonNode c : root.path("composed")) {
            List<String> members = strings(file, c, "members");
            if (c.path("template").asText("").isEmpty() || members.size() < 2) {
                throw new IllegalArgumentException(file + ": each of composed needs a template and at least two members, got " + c);
            }
            composed.add(new Composed(c.path("template").asText(), members));
        }
        List<String> baselines = strings(file, root, "baselines");
        if (baselines.isEmpty()) {
            throw new IllegalArgumentException(file + ": baselines lists no expert; name the multitask baseline(s), e.g. [\"multitask\"]");
        }
        return new EvalConfig(name, root.path("report").asText("docs/REPORT.md"), positive(file, root, "instances", 100),
                positive(file, root, "seenInstances", 32), baselines, strings(file, root, "unseen"), composed,
                root.has("methods") ? strings(file, root, "methods") : List.of("average", "ties"),
                numbers(file, root, "q", List.of(1, 4, 8, 32)), numbers(file, root, "k", List.of(1, 4, 8)),
                numbers(file, root, "mixtures", List.of(1, 2, 3)), numbers(file, root, "librarySizes", List.of(10, 50, 100)),
                continual(file, root));
    }

    private static String continual(Path file, JsonNode root) {
        if (!root.has("continual")) {
            return null;
        }
        if (!root.path("continual").isTextual() || root.path("continual").asText().isBlank()) {
            throw new IllegalArgumentException(file + ": continual is " + root.path("continual") + "; expected the path of a "
                    + "library configuration, e.g. \"configs/library/continual.json\"");
        }
        return root.path("continual").asText();
    }

    /** The same run made small: at most 16 instances a task, two tasks an experiment, Q up to 16. */
    EvalConfig quick() {
        return new EvalConfig(name + "-quick", report, Math.min(instances, QUICK), Math.min(seenInstances, QUICK / 2), baselines,
                unseen.subList(0, Math.min(2, unseen.size())), composed.subList(0, Math.min(2, composed.size())), methods,
                q.stream().filter(v -> v <= QUICK).toList(), k, mixtures, librarySizes, continual);
    }

    private static int positive(Path file, JsonNode root, String field, int otherwise) {
        if (!root.has(field)) {
            return otherwise;
        }
        int v = root.path(field).asInt(0);
        if (!root.path(field).canConvertToInt() || v < 1) {
            throw new IllegalArgumentException(file + ": " + field + " is " + root.path(field) + "; expected a positive integer");
        }
        return v;
    }

    private static List<Integer> numbers(Path file, JsonNode root, String field, List<Integer> otherwise) {
        if (!root.has(field)) {
            return otherwise;
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode n : root.path(field)) {
            if (!n.canConvertToInt() || n.asInt() < 1) {
                throw new IllegalArgumentException(file + ": " + field + " holds " + n + "; expected positive integers");
            }
            out.add(n.asInt());
        }
        return List.copyOf(out);
    }

    private static List<String> strings(Path file, JsonNode node, String field) {
        JsonNode list = node.path(field);
        if (list.isMissingNode()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(file + ": " + field + " is " + list + "; expected a list of names");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : list) {
            if (!n.isTextual() || n.asText().isBlank()) {
                throw new IllegalArgumentException(file + ": " + field + " holds " + n + "; expected names");
            }
            out.add(n.asText());
        }
        return List.copyOf(out);
    }

    /** The folder of a file's home-relative path. */
    static Path resolve(Path home, String relative) {
        Path p = Path.of(relative);
        return p.isAbsolute() ? p : home.resolve(p).normalize();
    }

}
