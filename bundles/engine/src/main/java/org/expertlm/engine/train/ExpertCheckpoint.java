package org.expertlm.engine.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.expertlm.engine.tensor.FloatTensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where an expert's training stands: the place in its epochs, the best epoch so far and its tensors.
 * Kept with the optimiser in the run's {@link Checkpoints} (format {@value #FORMAT}), from which a run
 * started again with the same settings, base model and examples resumes.
 */
final class ExpertCheckpoint {

    /** The format of an expert run's checkpoints. */
    static final String FORMAT = "elm-expert-checkpoint/1";
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** The latest checkpoint, restored into {@code optimiser}; null when there is none. */
    static ExpertCheckpoint latest(Checkpoints checkpoints, AdamW optimiser) throws IOException {
        Checkpoints.Saved saved = checkpoints.latest(optimiser);
        if (saved == null) {
            return null;
        }
        ExpertCheckpoint c = new ExpertCheckpoint();
        c.epoch = saved.state().path("epoch").asInt();
        c.batch = saved.state().path("batch").asInt();
        c.lossSum = saved.state().path("lossSum").asDouble();
        c.bestAccuracy = saved.state().path("bestAccuracy").asDouble();
        c.bestEpoch = saved.state().path("bestEpoch").asInt();
        c.seconds = saved.state().path("seconds").asDouble();
        c.finished = saved.state().path("finished").asBoolean();
        saved.state().path("history").forEach(line -> c.history.add(line.asText()));
        c.best = saved.tensors();
        return c;
    }

    /** Writes this state and the optimiser's as the checkpoint of the optimiser's step. */
    void save(Checkpoints checkpoints, AdamW optimiser, double secondsSoFar) throws IOException {
        ObjectNode state = JSON.createObjectNode();
        state.put("epoch", epoch);
        state.put("batch", batch);
        state.put("lossSum", lossSum);
        state.put("bestAccuracy", bestAccuracy);
        state.put("bestEpoch", bestEpoch);
        state.put("seconds", secondsSoFar);
        state.put("finished", finished);
        state.set("history", JSON.valueToTree(history));
        checkpoints.save(optimiser, state, best);
    }
}
