package org.expertlm.eval.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.expertlm.api.Expert;
import org.expertlm.api.ModelHandle;
import org.expertlm.api.NeuralEngine;
import org.expertlm.api.ScoringInput;
import org.expertlm.api.TaskExample;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Score tables kept on disk, one file a model and task ({@code <id@version>/<dataset.template>.<split>.json}, format
 * {@value #FORMAT}): a table is computed once, by the engine in batches, and read back on every later run whose
 * instances are the same (their ids are stored and compared, so a changed split is scored again, never mixed).
 */
final class ScoreStore {

    static final String FORMAT = "elm-eval-scores/1";
    private static final int BATCH = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path folder;
    private final NeuralEngine engine;
    private int scored;
    private int reused;

    ScoreStore(Path folder, NeuralEngine engine) {
        this.folder = folder;
        this.engine = engine;
    }

    int scored() {
        return scored;
    }

    int reused() {
        return reused;
    }

    /** {@code expert}'s table on {@code examples} of {@code template} (all of one split), from disk when it is there. */
    ScoreTable table(Expert expert, String template, String split, List<TaskExample> examples, Consumer<String> progress) {
        String model = expert.descriptor().name();
        Path file = folder.resolve(model).resolve(template.replace('/', '.') + "." + split + ".json");
        List<String> ids = examples.stream().map(TaskExample::id).toList();
        int[] gold = gold(template, examples);
        ScoreTable stored = read(file, model, expert.descriptor().tensorsSha256(), template, ids, gold);
        if (stored != null) {
            reused++;
            return stored;
        }
        ScoreTable table = compute(expert, template, ids, gold, examples);
        write(file, table, expert.descriptor().tensorsSha256());
        scored++;
        progress.accept(String.format("scored %s on %s: %d instances, accuracy %.3f", model, template, ids.size(),
                table.accuracy()));
        return table;
    }

    /** {@code expert}'s table on {@code examples} of {@code template}, computed now: nothing read from disk or kept. */
    ScoreTable fresh(Expert expert, String template, List<TaskExample> examples) {
        return compute(expert, template, examples.stream().map(TaskExample::id).toList(), gold(template, examples), examples);
    }

    private static int[] gold(String template, List<TaskExample> examples) {
        int[] gold = new int[examples.size()];
        for (int i = 0; i < gold.length; i++) {
            TaskExample e = examples.get(i);
            gold[i] = e.choices().indexOf(e.target());
            if (gold[i] < 0) {
                throw new IllegalArgumentException(template + " instance " + e.id() + ": its target '" + e.target()
                        + "' is none of its choices " + e.choices() + "; the evaluation scores classification tasks");
            }
        }
        return gold;
    }

    private ScoreTable compute(Expert expert, String template, List<String> ids, int[] gold, List<TaskExample> examples) {
        String model = expert.descriptor().name();
        List<double[]> scores = new ArrayList<>(examples.size());
        try (ModelHandle handle = engine.open(expert.descriptor(), expert.tensors())) {
            for (int from = 0; from < examples.size(); from += BATCH) {
                List<ScoringInput> batch = examples.subList(from, Math.min(examples.size(), from + BATCH)).stream()
                        .map(e -> new ScoringInput(e.input(), e.choices())).toList();
                scores.addAll(handle.score(batch, false));
                if (Thread.currentThread().isInterrupted()) {
                    throw new IllegalStateException("the evaluation was interrupted while " + model + " scored " + template
                            + "; run it again to resume");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the tensors of " + model + " failed", e);
        }
        return new ScoreTable(model, template, ids, gold, scores);
    }

    private static ScoreTable read(Path file, String model, String tensors, String template, List<String> ids, int[] gold) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (!FORMAT.equals(root.path("format").asText()) || !model.equals(root.path("model").asText())) {
                return null;
            }
            // A table names the tensors it was scored with (tables written before it did name none): an id@version
            // made again from other inputs (a continual-learning job whose settings changed) is scored again.
            if (root.has("tensors") && !root.path("tensors").asText().equals(tensors)) {
                return null;
            }
            List<String> storedIds = new ArrayList<>();
            root.path("ids").forEach(n -> storedIds.add(n.asText()));
            if (!storedIds.equals(ids)) {
                return null;
            }
            List<double[]> scores = new ArrayList<>();
            for (JsonNode row : root.path("scores")) {
                double[] s = new double[row.size()];
                for (int c = 0; c < s.length; c++) {
                    s[c] = row.get(c).isNumber() ? row.get(c).asDouble() : Double.NaN;
                }
                scores.add(s);
            }
            return scores.size() == ids.size() ? new ScoreTable(model, template, ids, gold, scores) : null;
        } catch (IOException | RuntimeException unreadable) {
            return null; // a torn or foreign file is scored again, never trusted
        }
    }

    private static void write(Path file, ScoreTable table, String tensors) {
        ObjectNode root = JSON.createObjectNode().put("format", FORMAT).put("model", table.model()).put("tensors", tensors)
                .put("template", table.template());
        ArrayNode ids = root.putArray("ids");
        table.ids().forEach(ids::add);
        ArrayNode scores = root.putArray("scores");
        for (double[] row : table.scores()) {
            ArrayNode r = scores.addArray();
            for (double s : row) {
                if (Double.isFinite(s)) {
                    r.add(s);
                } else {
                    r.addNull();
                }
            }
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the scores " + file + " failed", e);
        }
    }
}
