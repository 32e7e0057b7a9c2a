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
import java.util.stream.Stream;

import org.expertlm.api.ModelFormatException;
import org.expertlm.engine.tensor.FloatTensor;
import org.expertlm.engine.tensor.ModelFiles;
import org.expertlm.engine.tensor.SafeTensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where an expert's training stands: the place in its epochs, the best epoch so far and its tensors.
 * Saved with the optimiser (weights, moments, step) into a folder of checkpoints, from which a run
 * started again with the same settings, base model and examples resumes. Each checkpoint is a
 * folder {@code step-N} written completely under another name and then renamed: an interrupted
 * write never costs the checkpoint before it.
 */
final class ExpertCheckpoint {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPTIMISER = "optimiser.safetensors";
    private static final String BEST = "best.safetensors";
    private static final String STATE = "state.json";
    private static final String PREFIX = "step-";
    /** The format of {@code state.json}; a checkpoint of another format is refused, never resumed. */
    static final String FORMAT = "elm-expert-checkpoint/1";

    /** The epoch in progress, from 1 (past the last one once every epoch is done). */
    int epoch = 1;
    /** Batches of that epoch done. */
    int batch;
    /** Their summed losses. */
    double lossSum;
    double bestAccuracy;
    /** 0 while only the untrained model has been measured. */
    int bestEpoch;
    Map<String, FloatTensor> best;
    final List<String> history = new ArrayList<>();
    /** Seconds spent by the invocations before this one. */
    double seconds;
    /** Training ended (all epochs, or early stopping): only the expert remains to be written. */
    boolean finished;

    /**
     * The latest checkpoint in {@code folder}, restored into {@code optimiser}; null when there is none.
     * A checkpoint of another run (its {@code run} description differs) is refused.
     */
    static ExpertCheckpoint latest(Path folder, JsonNode run, AdamW optimiser) throws IOException {
        Objects.requireNonNull(run, "run");
        Path latest = null;
        if (Files.isDirectory(folder)) {
            try (Stream<Path> entries = Files.list(folder)) {
                latest = entries.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
                        .filter(p -> Files.isRegularFile(p.resolve(STATE)))
                        .max(Comparator.comparingInt(ExpertCheckpoint::stepOf)).orElse(null);
            }
        }
        if (latest == null) {
            return null;
        }
        JsonNode state = JSON.readTree(latest.resolve(STATE).toFile());
        ModelFormatException.check(latest.resolve(STATE).toString(), state.path("format").asText(null), FORMAT);
        // Compared as text: a number read back may be another node type than the one written.
        if (!JSON.writeValueAsString(state.path("run")).equals(JSON.writeValueAsString(run))) {
            throw new IOException(folder + " holds a checkpoint of another training run (other settings, base model or "
                    + "examples); delete that folder to start afresh");
        }
        optimiser.restore(latest.resolve(OPTIMISER));
        ExpertCheckpoint c = new ExpertCheckpoint();
        c.epoch = state.path("epoch").asInt();
        c.batch = state.path("batch").asInt();
        c.lossSum = state.path("lossSum").asDouble();
        c.bestAccuracy = state.path("bestAccuracy").asDouble();
        c.bestEpoch = state.path("bestEpoch").asInt();
        c.seconds = state.path("seconds").asDouble();
        c.finished = state.path("finished").asBoolean();
        state.path("history").forEach(line -> c.history.add(line.asText()));
        c.best = new LinkedHashMap<>(SafeTensors.read(latest.resolve(BEST)).tensors());
        return c;
    }

    /** Writes this state and the optimiser's as the checkpoint of the optimiser's step, replacing older ones. */
    void save(Path folder, JsonNode run, AdamW optimiser, double secondsSoFar) throws IOException {
        String name = PREFIX + optimiser.stepsTaken();
        Path partial = folder.resolve(name + ".partial");
        ModelFiles.delete(partial);
        Files.createDirectories(partial);
        optimiser.save(partial.resolve(OPTIMISER));
        SafeTensors.write(partial.resolve(BEST), best, Map.of("format", "elm-expert-checkpoint"));
        ObjectNode state = JSON.createObjectNode();
        state.put("format", FORMAT);
        state.set("run", run);
        state.put("epoch", epoch);
        state.put("batch", batch);
        state.put("lossSum", lossSum);
        state.put("bestAccuracy", bestAccuracy);
        state.put("bestEpoch", bestEpoch);
        state.put("seconds", secondsSoFar);
        state.put("finished", finished);
        state.set("history", JSON.valueToTree(history));
        JSON.writeValue(partial.resolve(STATE).toFile(), state);
        Path target = folder.resolve(name);
        ModelFiles.delete(target);
        Files.move(partial, target);
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path other : entries.filter(p -> !p.equals(target)).toList()) {
                ModelFiles.delete(other);
            }
        }
    }

    private static int stepOf(Path checkpoint) {
        return Integer.parseInt(checkpoint.getFileName().toString().substring(PREFIX.length()));
    }
}
