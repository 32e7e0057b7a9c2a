package org.expertlm.engine.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.expertlm.api.ModelFormatException;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.tensor.SafeTensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one checkpoint mechanism of every training run (a base model's, an expert's). A folder of
 * checkpoints holds one {@code step-N} folder: the optimiser ({@code optimiser.safetensors}: weights,
 * moments, step), the run's own tensors if any ({@code tensors.safetensors}, e.g. an expert's best
 * epoch), and {@code state.json}: the format, the run's identity and the run's own state. A checkpoint
 * is written completely under another name and then renamed, so that an interrupted write never
 * costs the one before it; older ones are then removed. A checkpoint resumes only the run it belongs
 * to: another format, or another run's identity (settings, base model, encoder, data digests), is
 * refused with what to do.
 */
final class Checkpoints {

    /** What a checkpoint held: the run's state and its own tensors (empty when it saved none). */
    record Saved(JsonNode state, Map<String, FloatTensor> tensors) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPTIMISER = "optimiser.safetensors";
    private static final String TENSORS = "tensors.safetensors";
    private static final String STATE = "state.json";
    private static final String PREFIX = "step-";

    private final Path folder;
    private final String format;
    private final JsonNode run;

    /**
     * @param folder where the checkpoints go
     * @param format the format of their state, e.g. {@code elm-expert-checkpoint/1}
     * @param run the run's identity: a checkpoint resumes only a run whose identity is equal
     */
    Checkpoints(Path folder, String format, JsonNode run) {
        this.folder = Objects.requireNonNull(folder, "folder");
        this.format = Objects.requireNonNull(format, "format");
        this.run = Objects.requireNonNull(run, "run");
    }

    Path folder() {
        return folder;
    }

    /**
     * The latest checkpoint, restored into {@code optimiser}; null when there is none.
     *
     * @throws IOException when it is of another format or another run, or cannot be read
     */
    Saved latest(AdamW optimiser) throws IOException {
        Path latest = null;
        if (Files.isDirectory(folder)) {
            try (Stream<Path> entries = Files.list(folder)) {
                latest = entries.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
                        .filter(p -> Files.isRegularFile(p.resolve(STATE)))
                        .max(Comparator.comparingInt(Checkpoints::stepOf)).orElse(null);
            }
        }
        if (latest == null) {
            return null;
        }
        JsonNode state = JSON.readTree(latest.resolve(STATE).toFile());
        ModelFormatException.check(latest.resolve(STATE).toString(), state.path("format").asText(null), format);
        // Compared as text: a number read back may be another node type than the one written.
        if (!JSON.writeValueAsString(state.path("run")).equals(JSON.writeValueAsString(run))) {
            throw new IOException(folder + " holds a checkpoint of another training run: " + differences(state.path("run"))
                    + "; delete that folder to start afresh");
        }
        optimiser.restore(latest.resolve(OPTIMISER));
        Path tensors = latest.resolve(TENSORS);
        return new Saved(state.path("state"), Files.isRegularFile(tensors)
                ? new LinkedHashMap<>(SafeTensors.read(tensors).tensors()) : Map.of());
    }

    /** Writes the checkpoint of the optimiser's step: its state, the run's {@code state} and {@code tensors} (may be empty). */
    void save(AdamW optimiser, ObjectNode state, Map<String, FloatTensor> tensors) throws IOException {
        String name = PREFIX + optimiser.stepsTaken();
        Path partial = folder.resolve(name + ".partial");
        ModelFiles.delete(partial);
        Files.createDirectories(partial);
        optimiser.save(partial.resolve(OPTIMISER));
        if (!tensors.isEmpty()) {
            SafeTensors.write(partial.resolve(TENSORS), tensors, Map.of("format", format));
        }
        ObjectNode json = JSON.createObjectNode();
        json.put("format", format);
        json.set("run", run);
        json.set("state", state);
        JSON.writeValue(partial.resolve(STATE).toFile(), json);
        Path target = folder.resolve(name);
        if (Files.exists(target)) {
            // The same step again (a cancel right after a periodic checkpoint): keep the old one until the new one is in.
            Path old = folder.resolve(name + ".old");
            ModelFiles.delete(old);
            Files.move(target, old);
        }
        Files.move(partial, target);
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path other : entries.filter(p -> !p.equals(target)).toList()) {
                ModelFiles.delete(other);
            }
        }
    }

    /** Removes every checkpoint (once what they led to is written). */
    void delete() throws IOException {
        ModelFiles.delete(folder);
    }

    /** What differs between a checkpoint's run and this one, field by field (found, expected). */
    private String differences(JsonNode saved) throws IOException {
        List<String> out = new ArrayList<>();
        Set<String> fields = new TreeSet<>();
        saved.fieldNames().forEachRemaining(fields::add);
        run.fieldNames().forEachRemaining(fields::add);
        for (String f : fields) {
            String found = JSON.writeValueAsString(saved.path(f));
            String expected = JSON.writeValueAsString(run.path(f));
            if (!found.equals(expected)) {
                out.add(f + " " + abbreviate(found) + " in the checkpoint, " + abbreviate(expected) + " in this run");
            }
        }
        return out.isEmpty() ? "its identity differs" : String.join("; ", out);
    }

    private static String abbreviate(String json) {
        return json.length() <= 120 ? json : json.substring(0, 117) + "...";
    }

    private static int stepOf(Path checkpoint) {
        return Integer.parseInt(checkpoint.getFileName().toString().substring(PREFIX.length()));
    }
}
